//! Outgoing e-mail over SMTP (`lettre`): invitations, password resets and sign-up
//! verification, each a multipart message with a text/plain and a text/html part.
//!
//! [`Delivery`] is what services take: the optional [`Mailer`] (`MCE_SMTP_URL`,
//! `MCE_MAIL_FROM`) and the public base URL that links are built on. Without a mailer
//! nothing is sent; the callers then hand the link to an admin instead. Links carry
//! secrets, so neither they nor the messages are ever logged.

use crate::error::{Result, ServiceError};
use domain::EmailAddress;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// One message's content: a subject and the same text as plain text and as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An SMTP connection set-up. `Debug` hides the URL (it holds the SMTP password).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://user:pass@host:port`, plain or with
    /// `?tls=required`; `smtps://` for implicit TLS) sending as `from`
    /// (`MCE <mce@example.com>` or a bare address). The error names what is wrong,
    /// never the URL itself.
    pub fn new(smtp_url: &str, from: &str) -> std::result::Result<Mailer, String> {
        let from: Mailbox = from.trim().parse().map_err(|e| format!("MCE_MAIL_FROM is not a mail address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.trim())
            .map_err(|_| "MCE_SMTP_URL must look like smtp://user:pass@host:port".to_owned())?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Sends `mail` to `to` as a multipart/alternative message.
    pub async fn send(&self, to: &EmailAddress, mail: &Mail) -> Result<()> {
        let to: Mailbox = to.as_str().parse().map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("recipient address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("building a mail: {e}")))?;
        self.transport.send(message).await.map_err(|e| ServiceError::Unexpected(anyhow::anyhow!("sending a mail over SMTP: {e}")))?;
        Ok(())
    }
}

/// How account mails go out: the mailer (none without `MCE_SMTP_URL`) and the public
/// base URL (`MCE_PUBLIC_URL`) that links in them start with.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub mailer: Option<Mailer>,
    pub public_url: String,
}

impl Delivery {
    /// No SMTP: nothing is mailed (links are shown to admins or printed by the CLI).
    pub fn without_mail(public_url: &str) -> Self {
        Self { mailer: None, public_url: public_url.trim_end_matches('/').to_owned() }
    }

    /// Whether mails go out (sign-up then needs a verified address).
    pub fn mails(&self) -> bool {
        self.mailer.is_some()
    }

    /// An absolute link to `path` (which starts with `/`) on this server.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Sends `mail` when a mailer is configured: `Ok(true)` when it went out,
    /// `Ok(false)` without SMTP. A failed send is logged (without the message) and
    /// reported as `Ok(false)` so that the caller can fall back to showing the link.
    pub async fn send(&self, to: &EmailAddress, mail: &Mail) -> bool {
        let Some(mailer) = &self.mailer else { return false };
        match mailer.send(to, mail).await {
            Ok(()) => true,
            Err(e) => {
                // The error names the SMTP step, never the link or the message body.
                tracing::warn!(error = %format!("{e}"), subject = %mail.subject, "an account mail could not be sent");
                false
            }
        }
    }
}

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn html_body(paragraphs: &[String], link: &str, button: &str, after: &str) -> String {
    let paras: String = paragraphs.iter().map(|p| format!("<p>{}</p>\n", esc(p))).collect();
    format!(
        "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n{paras}<p><a href=\"{href}\" \
         style=\"display: inline-block; padding: 10px 16px; background: #128c7e; color: #fff; border-radius: 6px; text-decoration: none\">{button}</a></p>\n\
         <p>Or open this address: <a href=\"{href}\">{text}</a></p>\n<p style=\"color: #666\">{after}</p>\n</body></html>\n",
        href = esc(link),
        text = esc(link),
        button = esc(button),
        after = esc(after),
    )
}

/// The invitation to join `org_name` as `role_label`, from `inviter`.
pub fn invitation(org_name: &str, inviter: &str, role_label: &str, link: &str) -> Mail {
    let intro = format!("{inviter} invited you to join {org_name} on MCE as {role_label}.");
    let after = "The link works once and for 7 days. If you did not expect this invitation, ignore this mail.";
    Mail {
        subject: format!("You are invited to {org_name} on MCE"),
        text: format!("{intro}\n\nAccept the invitation:\n{link}\n\n{after}\n"),
        html: html_body(&[intro], link, "Accept the invitation", after),
    }
}

/// The password-reset mail.
pub fn password_reset(link: &str) -> Mail {
    let intro = "Someone asked to reset the password of your MCE account. Choose a new password here:".to_owned();
    let after = "The link works once and for 1 hour. If you did not ask for this, ignore this mail: your password stays as it is.";
    Mail {
        subject: "Reset your MCE password".into(),
        text: format!("{intro}\n{link}\n\n{after}\n"),
        html: html_body(&[intro], link, "Choose a new password", after),
    }
}

/// The sign-up verification mail.
pub fn verification(link: &str) -> Mail {
    let intro = "Welcome to MCE. Confirm your e-mail address to start signing in:".to_owned();
    let after = "The link works once and for 7 days; unconfirmed accounts are removed after that. If you did not sign up, ignore this mail.";
    Mail {
        subject: "Confirm your e-mail address for MCE".into(),
        text: format!("{intro}\n{link}\n\n{after}\n"),
        html: html_body(&[intro], link, "Confirm my address", after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_an_invitation_are_escaped_in_its_html() {
        let m = invitation("<b>Acme</b>", "Eve & Co", "Agent", "https://mce.test/invitations/accept?token=abc");
        assert!(m.html.contains("&lt;b&gt;Acme&lt;/b&gt;") && m.html.contains("Eve &amp; Co"), "{}", m.html);
        assert!(m.text.contains("<b>Acme</b>"), "the text part keeps the name as it is");
        assert!(m.text.contains("https://mce.test/invitations/accept?token=abc") && m.html.contains("href=\"https://mce.test/invitations/accept?token=abc\""));
    }

    #[test]
    fn a_malformed_smtp_url_is_refused_without_echoing_it() {
        let e = Mailer::new("smtq://user:secret@host", "mce@example.com").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
        assert!(Mailer::new("smtp://user:secret@127.0.0.1:2525", "MCE <mce@example.com>").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
    }
}
