// A tiny SMTP sink for the browser tests: `node smtp-sink.mjs PORT DIR` accepts every
// message (EHLO/HELO, AUTH, MAIL, RCPT, DATA, QUIT) and writes it to DIR as
// <time>-<n>.json ({ to: [...], data: "raw message" }), for helpers.ts's lastMail().
import net from "node:net";
import fs from "node:fs";
import path from "node:path";

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
fs.mkdirSync(dir, { recursive: true });
let count = 0;

net
  .createServer((socket) => {
    let buffer = "";
    let inData = false;
    let data = [];
    let to = [];
    let authSteps = 0;
    const reply = (line) => socket.write(line + "\r\n");
    reply("220 e2e-sink ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let at;
      while ((at = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            const file = path.join(dir, `${Date.now()}-${++count}.json`);
            fs.writeFileSync(file, JSON.stringify({ to, data: data.join("\r\n") }));
            reply("250 queued");
          } else {
            data.push(line.startsWith(".") ? line.slice(1) : line);
          }
          continue;
        }
        if (authSteps > 0) {
          authSteps -= 1;
          reply(authSteps === 0 ? "235 ok" : "334 UGFzc3dvcmQ6");
          continue;
        }
        const upper = line.toUpperCase();
        if (upper.startsWith("EHLO")) reply("250-e2e-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME");
        else if (upper.startsWith("AUTH PLAIN")) reply("235 ok");
        else if (upper.startsWith("AUTH LOGIN")) {
          authSteps = 2;
          reply("334 VXNlcm5hbWU6");
        } else if (upper.startsWith("MAIL FROM:")) {
          to = [];
          reply("250 ok");
        } else if (upper.startsWith("RCPT TO:")) {
          to.push((line.match(/<([^>]*)>/) || [, ""])[1].toLowerCase());
          reply("250 ok");
        } else if (upper === "DATA") {
          inData = true;
          data = [];
          reply("354 go on");
        } else if (upper.startsWith("QUIT")) {
          reply("221 bye");
          socket.end();
        } else if (upper.startsWith("HELO") || upper.startsWith("RSET") || upper.startsWith("NOOP")) reply("250 ok");
        else reply("502 not here");
      }
    });
    socket.on("error", () => {});
  })
  .listen(port, "127.0.0.1");
