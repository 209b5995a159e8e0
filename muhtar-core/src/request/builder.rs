//! [`NewRequestBuilder`]: a [`NewRequest`] from its required fields and chained setters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    Attachment, Channel, CitizenContact, Location, NewRequest, Priority, ReplyBy, RequestKind,
};
use crate::ids::MuhtarlikCode;

impl NewRequest {
    /// A builder for a request from `muhtarlik`, arrived by `channel`, in the category
    /// with code `category`, with the subject line `subject`. Every other field starts
    /// empty (kind [`RequestKind::Request`], no description, priority, location, address,
    /// attachments, citizen, registration number, receipt instant, attributes, media URL
    /// or reply-by date) and is set by the builder's methods.
    ///
    /// The builder does not validate: [`NewRequest::validate`] (called by the service on
    /// submission) checks the request against the tenant's organisation.
    ///
    /// ```
    /// use muhtar_core::ids::MuhtarlikCode;
    /// use muhtar_core::request::{Channel, Location, NewRequest, Priority, RequestKind};
    /// use muhtar_core::testkit::fixtures;
    ///
    /// let new = NewRequest::builder(
    ///     MuhtarlikCode::new("kuzguncuk").unwrap(),
    ///     Channel::Phone,
    ///     "asfalt-onarim",
    ///     "Okul önündeki çukur",
    /// )
    /// .description("Kuzguncuk İlkokulu önündeki yolda derin bir çukur var.")
    /// .priority(Priority::Urgent)
    /// .location(Location { lat: 41.036, lon: 29.031 })
    /// .address("İcadiye Caddesi".to_owned())
    /// .build();
    /// assert_eq!(new.kind, RequestKind::Request);
    /// assert_eq!(new.address.as_deref(), Some("İcadiye Caddesi"));
    ///
    /// // Validation is separate, against the tenant's organisation.
    /// let content = new.validate(&fixtures::organisation("demo"), fixtures::t0()).unwrap();
    /// assert_eq!(content.priority, Priority::Urgent);
    /// assert_eq!(content.received_at, fixtures::t0());
    /// ```
    pub fn builder(
        muhtarlik: MuhtarlikCode,
        channel: Channel,
        category: impl Into<String>,
        subject: impl Into<String>,
    ) -> NewRequestBuilder {
        NewRequestBuilder {
            request: NewRequest {
                muhtarlik,
                channel,
                kind: RequestKind::Request,
                category: category.into(),
                subject: subject.into(),
                description: String::new(),
                priority: None,
                location: None,
                address: None,
                attachments: Vec::new(),
                citizen: None,
                registration_number: None,
                received_at: None,
                attributes: BTreeMap::new(),
                media_url: None,
                reply_by: None,
                municipal_council: false,
            },
        }
    }
}

/// Builds a [`NewRequest`]: made by [`NewRequest::builder`] with the required fields, the
/// optional ones set by chained methods (the required ones can be replaced too, so a
/// test can start from a fixture's builder), finished by [`Self::build`]. A setter of an
/// optional field takes the value or an `Option` of it (`None` clears the field); text
/// fields take a `String`.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct NewRequestBuilder {
    request: NewRequest,
}

impl NewRequestBuilder {
    /// Replaces the muhtarlık given to [`NewRequest::builder`].
    pub fn muhtarlik(mut self, muhtarlik: MuhtarlikCode) -> Self {
        self.request.muhtarlik = muhtarlik;
        self
    }

    /// Replaces the channel given to [`NewRequest::builder`].
    pub fn channel(mut self, channel: Channel) -> Self {
        self.request.channel = channel;
        self
    }

    /// Replaces the category given to [`NewRequest::builder`].
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.request.category = category.into();
        self
    }

    /// Replaces the subject given to [`NewRequest::builder`].
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.request.subject = subject.into();
        self
    }

    /// What sort of request it is (default: [`RequestKind::Request`]).
    pub fn kind(mut self, kind: RequestKind) -> Self {
        self.request.kind = kind;
        self
    }

    /// The description (default: empty).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.request.description = description.into();
        self
    }

    /// The priority (default: none, which the service decides by channel).
    pub fn priority(mut self, priority: impl Into<Option<Priority>>) -> Self {
        self.request.priority = priority.into();
        self
    }

    /// Where the problem is.
    pub fn location(mut self, location: impl Into<Option<Location>>) -> Self {
        self.request.location = location.into();
        self
    }

    /// The address text.
    pub fn address(mut self, address: impl Into<Option<String>>) -> Self {
        self.request.address = address.into();
        self
    }

    /// The attachments (replacing any set before).
    pub fn attachments(mut self, attachments: impl IntoIterator<Item = Attachment>) -> Self {
        self.request.attachments = attachments.into_iter().collect();
        self
    }

    /// The citizen behind the request (personal data).
    pub fn citizen(mut self, citizen: impl Into<Option<CitizenContact>>) -> Self {
        self.request.citizen = citizen.into();
        self
    }

    /// The official registration (evrak) number of a paper document.
    pub fn registration_number(mut self, number: impl Into<Option<String>>) -> Self {
        self.request.registration_number = number.into();
        self
    }

    /// When the request reached the body (back-office entry of earlier requests;
    /// default: the instant of submission).
    pub fn received_at(mut self, at: impl Into<Option<DateTime<Utc>>>) -> Self {
        self.request.received_at = at.into();
        self
    }

    /// The values of the category's extra fields, by attribute code (replacing any set
    /// before).
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = (String, String)>) -> Self {
        self.request.attributes = attributes.into_iter().collect();
        self
    }

    /// One value of the category's extra fields (replacing an earlier value of `code`).
    pub fn attribute(mut self, code: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.attributes.insert(code.into(), value.into());
        self
    }

    /// A link to a photo held elsewhere (Open311 `media_url`).
    pub fn media_url(mut self, url: impl Into<Option<String>>) -> Self {
        self.request.media_url = url.into();
        self
    }

    /// The date the letter asks the answer by (günlü yazı).
    pub fn reply_by(mut self, reply_by: impl Into<Option<ReplyBy>>) -> Self {
        self.request.reply_by = reply_by.into();
        self
    }

    /// For the municipal council's agenda (belediye meclisi gündemi).
    pub fn municipal_council(mut self, yes: bool) -> Self {
        self.request.municipal_council = yes;
        self
    }

    /// The request.
    pub fn build(self) -> NewRequest {
        self.request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn code(s: &str) -> MuhtarlikCode {
        MuhtarlikCode::new(s).unwrap()
    }

    #[test]
    fn the_builder_sets_each_field() {
        let at = Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0).unwrap();
        let reply_by = ReplyBy::Instant(at + chrono::Duration::days(10));
        let attachment = Attachment {
            media_type: "image/png".into(),
            size: 3,
            sha256: "ab".repeat(32),
            file_name: Some("a.png".into()),
        };
        let citizen = CitizenContact {
            name: "Ali Veli".into(),
            phone: Some("05550000000".into()),
            email: None,
        };
        let built = NewRequest::builder(code("x"), Channel::Email, "c", "s")
            .muhtarlik(code("kuzguncuk"))
            .channel(Channel::Petition)
            .category("kat")
            .subject("konu")
            .kind(RequestKind::Complaint)
            .description("açıklama")
            .priority(Priority::Urgent)
            .location(Location {
                lat: 41.0,
                lon: 29.0,
            })
            .address("adres".to_owned())
            .attachments([attachment.clone()])
            .citizen(citizen.clone())
            .registration_number("E-2025-1".to_owned())
            .received_at(at)
            .attributes([("a".to_owned(), "1".to_owned())])
            .attribute("b", "2")
            .media_url("https://example.org/a.jpg".to_owned())
            .reply_by(reply_by)
            .build();
        // Every field, written out: a field the builder forgot to set fails here.
        let expected = NewRequest {
            muhtarlik: code("kuzguncuk"),
            channel: Channel::Petition,
            kind: RequestKind::Complaint,
            category: "kat".into(),
            subject: "konu".into(),
            description: "açıklama".into(),
            priority: Some(Priority::Urgent),
            location: Some(Location {
                lat: 41.0,
                lon: 29.0,
            }),
            address: Some("adres".into()),
            attachments: vec![attachment],
            citizen: Some(citizen),
            registration_number: Some("E-2025-1".into()),
            received_at: Some(at),
            attributes: [("a", "1"), ("b", "2")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            media_url: Some("https://example.org/a.jpg".into()),
            reply_by: Some(reply_by),
            municipal_council: false,
        };
        assert_eq!(built, expected);
    }

    #[test]
    fn an_unset_field_is_empty_and_none_clears_a_field() {
        let bare = NewRequest::builder(code("m"), Channel::Email, "c", "s").build();
        let expected: NewRequest = serde_json::from_value(serde_json::json!({
            "muhtarlik": "m", "channel": "email", "category": "c", "subject": "s"
        }))
        .unwrap();
        // The builder's defaults are the ones a JSON submission gets.
        assert_eq!(bare, expected);
        let cleared = NewRequest::builder(code("m"), Channel::Email, "c", "s")
            .priority(Priority::Urgent)
            .priority(None)
            .address("x".to_owned())
            .address(None)
            .media_url(Some(String::from("https://example.org")))
            .build();
        assert_eq!(cleared.priority, None);
        assert_eq!(cleared.address, None);
        assert_eq!(cleared.media_url.as_deref(), Some("https://example.org"));
    }
}
