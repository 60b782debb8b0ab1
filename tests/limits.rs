//! Every input limit (`apigw_sign::limits`) through the public API: the bound itself passes,
//! one more is the limit's typed error.

use apigw_sign::limits::{
    MAX_AUTHORIZATION_LEN, MAX_DIGEST_BODY_LEN, MAX_FORM_BODY_LEN, MAX_HEADER_VALUE_LEN,
    MAX_PARAMETERS, MAX_SIGNED_HEADERS, MAX_TARGET_LEN,
};
use apigw_sign::tencent::{Authorization, Mode, Signer};
use apigw_sign::{bce, BceFormat, Error, Header, Malformed, Request, RequestError, Secret};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2021-03-11 08:29:58 UTC);

fn tencent_sign(
    mode: Mode,
    target: &str,
    headers: &[Header<'_>],
    body: &[u8],
    extra: &[&str],
) -> Result<(), Error> {
    let secret = Secret::from("s");
    Signer::new(mode, "AKID", &secret)
        .sign_headers(extra)
        .sign(&Request::new("POST", target, headers, body), NOW)
        .map(|_| ())
}

#[test]
fn authorization_length() {
    let header = |id_len: usize| {
        let id = "a".repeat(id_len);
        format!("hmac id=\"{id}\", algorithm=\"hmac-sha1\", headers=\"x-date\", signature=\"c2ln\"")
    };
    let fixed = header(0).len();
    assert!(Authorization::parse(&header(MAX_AUTHORIZATION_LEN - fixed)).is_ok());
    assert_eq!(
        Authorization::parse(&header(MAX_AUTHORIZATION_LEN - fixed + 1)),
        Err(Error::MalformedAuthorization {
            reason: Malformed::TooLong
        })
    );
    let sig = "0".repeat(64);
    let auth = |ak_len: usize| {
        format!(
            "bce-auth-v1/{}/2015-04-27T08:23:49Z/1800/host/{sig}",
            "a".repeat(ak_len)
        )
    };
    let fixed = auth(0).len();
    assert!(bce::AuthString::parse(&auth(MAX_AUTHORIZATION_LEN - fixed)).is_ok());
    assert_eq!(
        bce::AuthString::parse(&auth(MAX_AUTHORIZATION_LEN - fixed + 1)),
        Err(Error::BceSignatureFormatInvalid {
            reason: BceFormat::TooLong
        })
    );
}

#[test]
fn signed_headers() {
    let names: Vec<String> = (0..MAX_SIGNED_HEADERS).map(|i| format!("h{i}")).collect();
    let list = |n: usize| names.iter().take(n).cloned().collect::<Vec<_>>().join(" ");
    let parse = |n: usize| {
        Authorization::parse(&format!(
            "hmac id=\"a\", algorithm=\"hmac-sha1\", headers=\"{}\", signature=\"s\"",
            list(n)
        ))
        .map(|_| ())
    };
    assert_eq!(parse(MAX_SIGNED_HEADERS), Ok(()));
    let over = format!("{} extra", list(MAX_SIGNED_HEADERS));
    assert_eq!(
        Authorization::parse(&format!(
            "hmac id=\"a\", algorithm=\"hmac-sha1\", headers=\"{over}\", signature=\"s\""
        )),
        Err(Error::MalformedAuthorization {
            reason: Malformed::TooManyHeaders
        })
    );
    // The signer: the date header plus MAX - 1 more fits, one more does not.
    let headers: Vec<Header<'_>> = names.iter().map(|n| Header::new(n, "v")).collect();
    let extra: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        tencent_sign(
            Mode::KeyPair,
            "/",
            &headers,
            b"",
            &extra[..MAX_SIGNED_HEADERS - 1]
        ),
        Ok(())
    );
    assert_eq!(
        tencent_sign(Mode::KeyPair, "/", &headers, b"", &extra),
        Err(RequestError::TooManySignedHeaders.into())
    );
}

#[test]
fn bce_headers_by_signed_names() {
    // `Host` and the `x-bce-date` the signer adds, then empty `x-bce-*` headers: not signed,
    // they count all the same.
    let names: Vec<String> = (0..MAX_SIGNED_HEADERS)
        .map(|i| format!("x-bce-e{i}"))
        .collect();
    let secret = Secret::from("s");
    let sign = |count: usize| {
        let empty = names[..count].iter().map(|n| Header::new(n, ""));
        let headers: Vec<Header<'_>> = [Header::new("Host", "h")]
            .into_iter()
            .chain(empty)
            .collect();
        bce::Signer::new("ak", &secret)
            .sign(&Request::new("GET", "/", &headers, b""), NOW)
            .map(|signature| signature.auth_string().to_owned())
    };
    let auth = sign(MAX_SIGNED_HEADERS - 2).expect("signs");
    assert!(auth.contains("/host;x-bce-date/"), "{auth}");
    assert_eq!(
        sign(MAX_SIGNED_HEADERS - 1),
        Err(RequestError::TooManySignedHeaders.into())
    );
}

#[test]
fn parameters_in_the_query_and_the_form() {
    let query = |n: usize| format!("/?{}", vec!["k=v"; n].join("&"));
    assert_eq!(
        tencent_sign(Mode::App, &query(MAX_PARAMETERS), &[], b"", &[]),
        Ok(())
    );
    assert_eq!(
        tencent_sign(Mode::App, &query(MAX_PARAMETERS + 1), &[], b"", &[]),
        Err(RequestError::TooManyParameters.into())
    );
    let form = [Header::new(
        "Content-Type",
        "application/x-www-form-urlencoded",
    )];
    let half = MAX_PARAMETERS / 2;
    let body = vec!["f=1"; MAX_PARAMETERS - half + 1].join("&");
    assert_eq!(
        tencent_sign(Mode::App, &query(half), &form, body.as_bytes(), &[]),
        Err(RequestError::TooManyParameters.into())
    );
    let body = vec!["f=1"; MAX_PARAMETERS - half].join("&");
    assert_eq!(
        tencent_sign(Mode::App, &query(half), &form, body.as_bytes(), &[]),
        Ok(())
    );
}

#[test]
fn header_value_length() {
    let at = "v".repeat(MAX_HEADER_VALUE_LEN);
    let over = "v".repeat(MAX_HEADER_VALUE_LEN + 1);
    assert_eq!(
        tencent_sign(
            Mode::KeyPair,
            "/",
            &[Header::new("Source", &at)],
            b"",
            &["source"]
        ),
        Ok(())
    );
    assert_eq!(
        tencent_sign(
            Mode::KeyPair,
            "/",
            &[Header::new("Source", &over)],
            b"",
            &["source"]
        ),
        Err(RequestError::HeaderValueTooLong.into())
    );
}

#[test]
fn target_length() {
    let target = |len: usize| format!("/{}", "a".repeat(len - 1));
    assert_eq!(
        tencent_sign(Mode::App, &target(MAX_TARGET_LEN), &[], b"", &[]),
        Ok(())
    );
    assert_eq!(
        tencent_sign(Mode::App, &target(MAX_TARGET_LEN + 1), &[], b"", &[]),
        Err(RequestError::TargetTooLong.into())
    );
}

#[test]
fn body_sizes() {
    let form = [Header::new(
        "Content-Type",
        "application/x-www-form-urlencoded",
    )];
    let body = vec![b'a'; MAX_FORM_BODY_LEN];
    assert_eq!(tencent_sign(Mode::App, "/", &form, &body, &[]), Ok(()));
    let body = vec![b'a'; MAX_FORM_BODY_LEN + 1];
    assert_eq!(
        tencent_sign(Mode::App, "/", &form, &body, &[]),
        Err(RequestError::BodyTooLarge.into())
    );
    let json = [Header::new("Content-Type", "application/json")];
    let body = vec![b'a'; MAX_DIGEST_BODY_LEN];
    assert_eq!(tencent_sign(Mode::App, "/", &json, &body, &[]), Ok(()));
    let body = vec![b'a'; MAX_DIGEST_BODY_LEN + 1];
    assert_eq!(
        tencent_sign(Mode::App, "/", &json, &body, &[]),
        Err(RequestError::BodyTooLarge.into())
    );
}
