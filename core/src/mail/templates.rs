//! Mail templates as data, per topic and language, with English as the
//! fallback. Placeholders: `{organization}` and the topic's own fields.

use super::MailTopic;
use crate::values::Language;

/// (topic, language, subject, body) rows.
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "technical_activation_pending",
        "en",
        "{organization}: {benefit} is being activated",
        "{benefit} was assigned to you for {organization}. Activation takes a few days; it completes on {active_at}.\nWe will send instructions for reaching Microsoft Product Support to this address and to your Partner Center account email.",
    ),
    (
        "technical_activation_pending",
        "zh-CN",
        "{organization}：{benefit} 正在激活",
        "已为 {organization} 将 {benefit} 分配给你。激活需要几天时间，将于 {active_at} 完成。\n我们会把访问 Microsoft 产品支持的说明发送到此地址和你的合作伙伴中心帐户电子邮件。",
    ),
    (
        "technical_activated",
        "en",
        "{organization}: {benefit} is active",
        "{benefit} is now active for {organization}.\nNext: sign in to the support portal with this address to open an incident or request assistance.",
    ),
    (
        "technical_activated",
        "zh-CN",
        "{organization}：{benefit} 已激活",
        "{organization} 的 {benefit} 现已激活。\n下一步：使用此地址登录支持门户，提交事件或请求协助。",
    ),
    (
        "subscription_assigned",
        "en",
        "{organization}: you were assigned {benefit}",
        "An administrator of {organization} assigned you {benefit}.\nNext: sign in to the Visual Studio portal to start using your subscription.",
    ),
    (
        "subscription_assigned",
        "zh-CN",
        "{organization}：已为你分配 {benefit}",
        "{organization} 的管理员为你分配了 {benefit}。\n下一步：登录 Visual Studio 门户开始使用你的订阅。",
    ),
    (
        "assistance_requested",
        "en",
        "{organization}: {phase} assistance requested",
        "Your request for {amount} of {benefit} ({phase}) for {organization} was submitted.\nNext: a consultant will contact you to schedule the session.",
    ),
    (
        "assistance_requested",
        "zh-CN",
        "{organization}：已提交{phase}协助请求",
        "已为 {organization} 提交使用 {benefit} {amount} 的请求（{phase}）。\n下一步：顾问会与你联系安排时间。",
    ),
    (
        "offer_activation_pending",
        "en",
        "{organization}: {offer} is being activated",
        "The Go-To-Market offer {offer} was activated for {organization}. It becomes active on {active_at}.\nWe will email instructions for using it to this address.",
    ),
    (
        "offer_activation_pending",
        "zh-CN",
        "{organization}：{offer} 正在激活",
        "已为 {organization} 激活市场推广优惠 {offer}，将于 {active_at} 生效。\n我们会将使用说明发送到此地址。",
    ),
    (
        "offer_activated",
        "en",
        "{organization}: {offer} is active until {expires_at}",
        "The Go-To-Market offer {offer} is now active for {organization} and can be used until {expires_at}.\nNext: follow the offer's instructions on the Go-To-Market page.",
    ),
    (
        "offer_activated",
        "zh-CN",
        "{organization}：{offer} 已生效，有效期至 {expires_at}",
        "{organization} 的市场推广优惠 {offer} 现已生效，可使用至 {expires_at}。\n下一步：按照市场推广页面上的说明使用该优惠。",
    ),
    (
        "offer_expiring",
        "en",
        "{organization}: {offer} expires in {days_before} days",
        "The Go-To-Market offer {offer} of {organization} expires on {expires_at}.\nNext: use it before then, or activate it again after it expires.",
    ),
    (
        "offer_expiring",
        "zh-CN",
        "{organization}：{offer} 将在 {days_before} 天后到期",
        "{organization} 的市场推广优惠 {offer} 将于 {expires_at} 到期。\n下一步：请在到期前使用，或在到期后重新激活。",
    ),
    (
        "package_expiring",
        "en",
        "{organization}: {package} expires in {days_before} days",
        "The benefit package {package} of {organization} expires on {expires_at}.\nNext: renew it from the Benefits page; the new term starts when the current one ends.",
    ),
    (
        "package_expiring",
        "zh-CN",
        "{organization}：{package} 将在 {days_before} 天后到期",
        "{organization} 的权益包 {package} 将于 {expires_at} 到期。\n下一步：在权益页面续订；新期限从当前期限结束时开始。",
    ),
    (
        "cancellation_answered",
        "en",
        "{organization}: cancellation of {target} {outcome}",
        "Your service request to cancel {target} for {organization} was {outcome}: {detail}.",
    ),
    (
        "cancellation_answered",
        "zh-CN",
        "{organization}：{target} 的取消请求{outcome}",
        "{organization} 取消 {target} 的服务请求{outcome}：{detail}。",
    ),
    (
        "user_removed",
        "en",
        "{organization}: {user} was removed",
        "{user} ({email}) was removed from {organization}.\nReleased: {released}.\nNext: assign what was released to someone else if it is still needed.",
    ),
    (
        "user_removed",
        "zh-CN",
        "{organization}：已移除 {user}",
        "已从 {organization} 移除 {user}（{email}）。\n已释放：{released}。\n下一步：如仍需要，请将已释放的权益分配给其他人。",
    ),
];

/// The languages that have templates.
pub fn template_languages() -> Vec<&'static str> {
    let mut languages: Vec<&str> = TEMPLATES.iter().map(|row| row.1).collect();
    languages.sort_unstable();
    languages.dedup();
    languages
}

/// Renders `topic` for `organization` in `language`, falling back to English.
/// Returns the language used, the subject and the body.
pub fn render(topic: &MailTopic, organization: &str, language: &Language) -> (Language, String, String) {
    let name = topic.name();
    let index = |lang: &str| TEMPLATES.iter().position(|row| row.0 == name && row.1 == lang);
    let row = index(language.as_str()).map(|i| (language.clone(), i)).or_else(|| index("en").map(|i| (Language::english(), i)));
    let Some((used, index)) = row else {
        return (Language::english(), name.to_string(), String::new());
    };
    let (Some((_, lang, subject, body)), Some((subject_parts, body_parts))) = (TEMPLATES.get(index), parsed().get(index)) else {
        return (Language::english(), name.to_string(), String::new());
    };
    let chinese = *lang == "zh-CN";
    (used, fill(subject.len(), subject_parts, organization, topic, chinese), fill(body.len(), body_parts, organization, topic, chinese))
}

/// A piece of a template: literal text, or a `{placeholder}`'s name.
enum Part {
    Text(&'static str),
    Key(&'static str),
}

/// Every template of [`TEMPLATES`] split once into its parts (subject,
/// body), in the same order, so rendering a mail does not search the text.
fn parsed() -> &'static [(Vec<Part>, Vec<Part>)] {
    static PARSED: std::sync::OnceLock<Vec<(Vec<Part>, Vec<Part>)>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| TEMPLATES.iter().map(|(_, _, subject, body)| (split(subject), split(body))).collect())
}

/// Splits `text` at its `{name}` placeholders; a `{` without a closing `}`
/// (or with another `{` before it) is text.
fn split(text: &'static str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut literal_from = 0; // start in `rest` of text not yet emitted
    let mut search_from = 0;
    while let Some(open) = rest.get(search_from..).and_then(|r| r.find('{')).map(|o| o + search_from) {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find(['{', '}']) {
            Some(close) if after.as_bytes().get(close) == Some(&b'}') => {
                if let Some(literal) = rest.get(literal_from..open).filter(|l| !l.is_empty()) {
                    parts.push(Part::Text(literal));
                }
                parts.push(Part::Key(after.get(..close).unwrap_or_default()));
                rest = after.get(close + 1..).unwrap_or_default();
                literal_from = 0;
                search_from = 0;
            }
            Some(_) => search_from = open + 1,
            None => break,
        }
    }
    if let Some(literal) = rest.get(literal_from..).filter(|l| !l.is_empty()) {
        parts.push(Part::Text(literal));
    }
    parts
}

/// Fills a template's placeholders, writing each value straight into the
/// output. (It replaced a `replace` per placeholder over the whole text, with
/// a `format!` of each key and a `String` of each value: 15 % of the mixed
/// workload's instructions.) A value is never scanned for placeholders, and
/// an unknown `{name}` is kept as written.
fn fill(len: usize, parts: &[Part], organization: &str, topic: &MailTopic, chinese: bool) -> String {
    let mut out = String::with_capacity(len + 64);
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Key("organization") => out.push_str(organization),
            Part::Key(key) => {
                if !field(&mut out, topic, key, chinese) {
                    out.push('{');
                    out.push_str(key);
                    out.push('}');
                }
            }
        }
    }
    out
}

/// Writes the topic's field `key` into `out`; false when it has none.
fn field(out: &mut String, topic: &MailTopic, key: &str, chinese: bool) -> bool {
    use std::fmt::Write;
    let date = |out: &mut String, t: &crate::lifecycle::Timestamp| {
        use chrono::{Datelike, Timelike};
        if let Ok(year @ 0..=9999) = u32::try_from(t.year()) {
            // Digits by hand: `{:02}` through the formatter cost more than the rest of the mail.
            fn digits(out: &mut String, n: u32, width: u32) {
                for place in (0..width).rev() {
                    out.push(char::from(b'0' + ((n / 10u32.pow(place)) % 10) as u8));
                }
            }
            digits(out, year, 4);
            out.push('-');
            digits(out, t.month(), 2);
            out.push('-');
            digits(out, t.day(), 2);
            out.push(' ');
            digits(out, t.hour(), 2);
            out.push(':');
            digits(out, t.minute(), 2);
            out.push_str(" UTC");
        } else {
            // chrono's `%Y` signs years outside 0..=9999; keep its spelling there.
            let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M UTC"));
        }
    };
    match (topic, key) {
        (
            MailTopic::TechnicalActivationPending { benefit, .. }
            | MailTopic::TechnicalActivated { benefit }
            | MailTopic::SubscriptionAssigned { benefit }
            | MailTopic::AssistanceRequested { benefit, .. },
            "benefit",
        ) => out.push_str(benefit),
        (MailTopic::TechnicalActivationPending { active_at, .. } | MailTopic::OfferActivationPending { active_at, .. }, "active_at") => {
            date(out, active_at)
        }
        (MailTopic::AssistanceRequested { phase, .. }, "phase") => out.push_str(phase),
        (MailTopic::AssistanceRequested { amount, .. }, "amount") => {
            let _ = write!(out, "{amount}");
        }
        (
            MailTopic::OfferActivationPending { offer, .. }
            | MailTopic::OfferActivated { offer, .. }
            | MailTopic::OfferExpiring { offer, .. },
            "offer",
        ) => out.push_str(offer),
        (
            MailTopic::OfferActivated { expires_at, .. }
            | MailTopic::OfferExpiring { expires_at, .. }
            | MailTopic::PackageExpiring { expires_at, .. },
            "expires_at",
        ) => date(out, expires_at),
        (MailTopic::OfferExpiring { days_before, .. } | MailTopic::PackageExpiring { days_before, .. }, "days_before") => {
            let _ = write!(out, "{days_before}");
        }
        (MailTopic::PackageExpiring { package, .. }, "package") => out.push_str(package),
        (MailTopic::CancellationAnswered { target, .. }, "target") => out.push_str(target),
        (MailTopic::UserRemoved { user, .. }, "user") => out.push_str(user),
        (MailTopic::UserRemoved { email, .. }, "email") => out.push_str(email),
        (MailTopic::UserRemoved { released, .. }, "released") => match (released.is_empty(), chinese) {
            (true, false) => out.push_str("nothing"),
            (true, true) => out.push('无'),
            (false, false) => out.push_str(&released.join("; ")),
            (false, true) => out.push_str(&released.join("；")),
        },
        (MailTopic::CancellationAnswered { detail, .. }, "detail") => out.push_str(detail),
        (MailTopic::CancellationAnswered { granted, .. }, "outcome") => out.push_str(match (granted, chinese) {
            (true, false) => "granted",
            (false, false) => "refused",
            (true, true) => "已批准",
            (false, true) => "被拒绝",
        }),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn samples() -> Vec<MailTopic> {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 5, 9, 0, 0).unwrap();
        vec![
            MailTopic::TechnicalActivationPending { benefit: "Partner advisory hours".into(), active_at: at },
            MailTopic::TechnicalActivated { benefit: "Partner advisory hours".into() },
            MailTopic::SubscriptionAssigned { benefit: "Visual Studio Enterprise subscriptions".into() },
            MailTopic::AssistanceRequested {
                benefit: "Partner advisory hours".into(),
                phase: "design".into(),
                amount: rust_decimal::Decimal::new(25, 1),
            },
            MailTopic::OfferActivationPending { offer: "Silver Core".into(), active_at: at },
            MailTopic::OfferActivated { offer: "Silver Core".into(), expires_at: at },
            MailTopic::OfferExpiring { offer: "Silver Core".into(), expires_at: at, days_before: 7 },
            MailTopic::PackageExpiring { package: "Microsoft Action Pack".into(), expires_at: at, days_before: 30 },
            MailTopic::CancellationAnswered {
                target: "Microsoft Action Pack".into(),
                granted: false,
                detail: "a software benefit of the package was already activated".into(),
            },
            MailTopic::UserRemoved {
                user: "Mei Chen".into(),
                email: "mei@contoso.example".into(),
                released: vec![
                    "Visual Studio Enterprise subscriptions (benefit-1-3)".into(),
                    "Partner advisory hours (benefit-1-5)".into(),
                ],
            },
        ]
    }

    #[test]
    fn every_topic_has_english_and_chinese_templates() {
        for topic in samples() {
            for language in ["en", "zh-CN"] {
                assert!(TEMPLATES.iter().any(|row| row.0 == topic.name() && row.1 == language), "{} {language}", topic.name());
            }
        }
    }

    #[test]
    fn rendered_templates_snapshot_per_language() {
        for language in template_languages() {
            let mut out = String::new();
            for topic in samples() {
                let (used, subject, body) = render(&topic, "Contoso Ltd", &Language::parse("l", language).unwrap());
                assert_eq!(used.as_str(), language);
                assert!(!subject.contains('{') && !body.contains('{'), "unfilled placeholder in {}", topic.name());
                out.push_str(&format!("## {}\nSubject: {subject}\n{body}\n\n", topic.name()));
            }
            insta::assert_snapshot!(format!("mail_{language}"), out);
        }
    }

    #[test]
    fn placeholders_are_filled_once_and_stray_braces_kept() {
        let topic = MailTopic::TechnicalActivated { benefit: "{organization}".into() };
        let cases = [
            ("{organization}: {benefit}", "Contoso: {organization}"),
            ("a {unknown} b", "a {unknown} b"),
            ("a { {benefit} }", "a { {organization} }"),
            ("{benefit", "{benefit"),
            ("}{organization}{", "}Contoso{"),
            ("", ""),
        ];
        for (template, expected) in cases {
            assert_eq!(fill(template.len(), &split(template), "Contoso", &topic, false), expected, "{template}");
        }
    }

    #[test]
    fn unknown_language_falls_back_to_english() {
        let topic = MailTopic::TechnicalActivated { benefit: "Support".into() };
        let (used, subject, _) = render(&topic, "Contoso", &Language::parse("l", "fr").unwrap());
        assert_eq!(used.as_str(), "en");
        assert_eq!(subject, "Contoso: Support is active");
    }
}
