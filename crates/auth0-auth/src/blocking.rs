//! A blocking API for command-line tools and synchronous programs (cargo feature `blocking`).
//!
//! Every method mirrors the async one of the same name and runs it to completion on a small
//! runtime the client owns, so there is one implementation of every request. Called from inside
//! an async runtime, a call runs on a scoped helper thread instead of panicking.
//!
//! ```no_run
//! # fn demo() -> auth0_auth::Result<()> {
//! use auth0_auth::{AuthClient, ClientCredentialsRequest};
//!
//! let client = AuthClient::builder("tenant.eu.auth0.com", "my-client-id")
//!     .client_secret("my-client-secret")
//!     .build_blocking()?;
//! let tokens = client.get_token_by_client_credentials(
//!     ClientCredentialsRequest::new().audience("https://api.example.com/"),
//! )?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use secrecy::SecretString;
use url::Url;

use crate::error::{Error, Result};
use crate::*;

/// The blocking twin of [`crate::AuthClient`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthClient {
    inner: crate::AuthClient,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl AuthClientBuilder {
    /// Checks the configuration and makes a [`blocking::AuthClient`](AuthClient).
    pub fn build_blocking(self) -> Result<AuthClient> {
        AuthClient::from_async(self.build()?)
    }
}

impl AuthClient {
    /// Wraps an async client (sharing its configuration and caches).
    pub fn from_async(client: crate::AuthClient) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::config("could not start the blocking client's runtime").with_source(e)
            })?;
        Ok(Self {
            inner: client,
            runtime: Arc::new(runtime),
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &crate::AuthClient {
        &self.inner
    }

    /// A view whose calls use `options` (see [`crate::AuthClient::with_options`]).
    pub fn with_options(&self, options: RequestOptions) -> AuthClient {
        AuthClient {
            inner: self.inner.with_options(options),
            runtime: self.runtime.clone(),
        }
    }

    /// Runs a future to completion on the client's runtime (on a helper thread when the caller
    /// is itself inside a runtime, where blocking in place would panic).
    fn block<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(
                |scope| match scope.spawn(|| self.runtime.block_on(future)).join() {
                    Ok(output) => output,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
            )
        } else {
            self.runtime.block_on(future)
        }
    }

    /// A DPoP proof for your own API call (see [`crate::AuthClient::dpop_proof`]).
    pub fn dpop_proof(&self, request: DpopProofRequest) -> Result<Option<String>> {
        self.inner.dpop_proof(request)
    }

    /// The MFA API for the `mfa_token` of an `mfa_required` answer (see
    /// [`crate::AuthClient::mfa`]).
    pub fn mfa(&self, mfa_token: SecretString) -> Mfa<'_> {
        Mfa {
            client: self,
            mfa_token,
        }
    }

    /// The passkey API.
    pub fn passkey(&self) -> Passkey<'_> {
        Passkey { client: self }
    }

    /// The passwordless API.
    pub fn passwordless(&self) -> Passwordless<'_> {
        Passwordless { client: self }
    }

    /// The database-connection API.
    pub fn database(&self) -> Database<'_> {
        Database { client: self }
    }

    /// The anonymous-session API.
    pub fn anonymous(&self) -> Anonymous<'_> {
        Anonymous { client: self }
    }
}

/// Writes blocking methods that run the async method of the same name.
macro_rules! mirror {
    ($target:ident => $( $(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        $(
            $(#[$meta])*
            pub fn $name(&self, $($arg: $ty),*) -> $ret {
                let client = self.client();
                client.block(client.inner.$target().$name($($arg),*))
            }
        )*
    };
}

trait Blocking {
    fn client(&self) -> &AuthClient;
}

impl Blocking for AuthClient {
    fn client(&self) -> &AuthClient {
        self
    }
}

impl crate::AuthClient {
    /// Itself (lets the blocking mirror treat the client and its sub-clients alike).
    fn itself(&self) -> &crate::AuthClient {
        self
    }
}

#[allow(missing_docs)]
impl AuthClient {
    mirror! { itself =>
        /// See [`crate::AuthClient::server_metadata`].
        fn server_metadata() -> Result<Arc<ServerMetadata>>;
        /// See [`crate::AuthClient::build_authorization_url`].
        fn build_authorization_url(request: AuthorizationUrlRequest) -> Result<AuthorizationUrl>;
        /// See [`crate::AuthClient::build_link_user_url`].
        fn build_link_user_url(request: LinkUserUrlRequest) -> Result<AuthorizationUrl>;
        /// See [`crate::AuthClient::build_unlink_user_url`].
        fn build_unlink_user_url(request: UnlinkUserUrlRequest) -> Result<AuthorizationUrl>;
        /// See [`crate::AuthClient::build_logout_url`].
        fn build_logout_url(request: LogoutUrlRequest) -> Result<Url>;
        /// See [`crate::AuthClient::verify_logout_token`].
        fn verify_logout_token(request: VerifyLogoutTokenRequest) -> Result<LogoutTokenClaims>;
        /// See [`crate::AuthClient::verify_id_token`].
        fn verify_id_token(request: VerifyIdTokenRequest) -> Result<Claims>;
        /// See [`crate::AuthClient::get_token_by_code`].
        fn get_token_by_code(request: TokenByCodeRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_magic_link_code`].
        fn get_token_by_magic_link_code(request: MagicLinkCodeRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_refresh_token`].
        fn get_token_by_refresh_token(request: RefreshTokenRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_client_credentials`].
        fn get_token_by_client_credentials(request: ClientCredentialsRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_password`].
        fn get_token_by_password(request: PasswordRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_passwordless_email`].
        fn get_token_by_passwordless_email(request: PasswordlessTokenRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_token_by_passwordless_sms`].
        fn get_token_by_passwordless_sms(request: PasswordlessTokenRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::exchange_token`].
        fn exchange_token(request: ExchangeTokenRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::initiate_backchannel_authentication`].
        fn initiate_backchannel_authentication(request: BackchannelAuthenticationRequest) -> Result<BackchannelAuthenticationStarted>;
        /// See [`crate::AuthClient::backchannel_authentication_grant`].
        fn backchannel_authentication_grant(auth_req_id: &SecretString) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::backchannel_authentication`].
        fn backchannel_authentication(request: BackchannelAuthenticationRequest) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::poll_backchannel_authentication`].
        fn poll_backchannel_authentication(started: &BackchannelAuthenticationStarted) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::start_device_authorization`].
        fn start_device_authorization(request: DeviceAuthorizationRequest) -> Result<DeviceAuthorization>;
        /// See [`crate::AuthClient::device_code_grant`].
        fn device_code_grant(device_code: &SecretString) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::poll_device_authorization`].
        fn poll_device_authorization(started: &DeviceAuthorization) -> Result<TokenResponse>;
        /// See [`crate::AuthClient::get_user_info`].
        fn get_user_info(request: UserInfoRequest) -> Result<Claims>;
        /// See [`crate::AuthClient::revoke_token`].
        fn revoke_token(request: RevokeTokenRequest) -> Result<()>;
        /// See [`crate::AuthClient::introspect_token`].
        fn introspect_token(request: IntrospectTokenRequest) -> Result<Introspection>;
        /// See [`crate::AuthClient::is_federated_domain`].
        fn is_federated_domain(email_domain: &str) -> bool;
    }
}

/// Declares a blocking sub-client mirroring an async one.
macro_rules! sub_client {
    ($(#[$meta:meta])* $name:ident, $accessor:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            client: &'a AuthClient,
        }

        impl Blocking for $name<'_> {
            fn client(&self) -> &AuthClient {
                self.client
            }
        }

        impl $name<'_> {
            mirror! { $accessor => $($body)* }
        }
    };
}

/// The blocking MFA API for one `mfa_token` (see [`crate::Mfa`]).
#[derive(Clone, Debug)]
pub struct Mfa<'a> {
    client: &'a AuthClient,
    mfa_token: SecretString,
}

impl Mfa<'_> {
    fn run<'s, F, T>(&'s self, call: impl FnOnce(crate::Mfa<'s>) -> F) -> T
    where
        F: Future<Output = T> + Send + 's,
        T: Send,
    {
        let client = self.client;
        client.block(call(client.inner.mfa(self.mfa_token.clone())))
    }

    /// See [`crate::Mfa::list_authenticators`].
    pub fn list_authenticators(&self) -> Result<Vec<Authenticator>> {
        self.run(|mfa| async move { mfa.list_authenticators().await })
    }

    /// See [`crate::Mfa::enroll_authenticator`].
    pub fn enroll_authenticator(&self, enroll: EnrollRequest) -> Result<Enrollment> {
        self.run(|mfa| async move { mfa.enroll_authenticator(enroll).await })
    }

    /// See [`crate::Mfa::delete_authenticator`].
    pub fn delete_authenticator(&self, authenticator_id: &str) -> Result<()> {
        self.run(|mfa| async move { mfa.delete_authenticator(authenticator_id).await })
    }

    /// See [`crate::Mfa::challenge_authenticator`].
    pub fn challenge_authenticator(&self, challenge: ChallengeRequest) -> Result<Challenge> {
        self.run(|mfa| async move { mfa.challenge_authenticator(challenge).await })
    }

    /// See [`crate::Mfa::verify`].
    pub fn verify(&self, verification: MfaVerification) -> Result<TokenResponse> {
        self.run(|mfa| async move { mfa.verify(verification).await })
    }
}

sub_client!(
    /// The blocking passkey API.
    Passkey, passkey {
        /// See [`crate::Passkey::register`].
        fn register(request: PasskeyRegisterRequest) -> Result<PasskeySignupChallenge>;
        /// See [`crate::Passkey::challenge`].
        fn challenge(request: PasskeyChallengeRequest) -> Result<PasskeyLoginChallenge>;
        /// See [`crate::Passkey::get_token_by_passkey`].
        fn get_token_by_passkey(request: PasskeyTokenRequest) -> Result<TokenResponse>;
    }
);

sub_client!(
    /// The blocking passwordless API.
    Passwordless, passwordless {
        /// See [`crate::Passwordless::send_email`].
        fn send_email(request: SendEmailRequest) -> Result<()>;
        /// See [`crate::Passwordless::send_sms`].
        fn send_sms(request: SendSmsRequest) -> Result<()>;
        /// See [`crate::Passwordless::challenge_with_email`].
        fn challenge_with_email(request: OtpChallengeRequest) -> Result<OtpChallenge>;
        /// See [`crate::Passwordless::challenge_with_phone_number`].
        fn challenge_with_phone_number(request: OtpChallengeRequest) -> Result<OtpChallenge>;
        /// See [`crate::Passwordless::get_token_by_passwordless_db_connection`].
        fn get_token_by_passwordless_db_connection(request: PasswordlessDbTokenRequest) -> Result<TokenResponse>;
    }
);

sub_client!(
    /// The blocking database-connection API.
    Database, database {
        /// See [`crate::Database::sign_up`].
        fn sign_up(request: SignUpRequest) -> Result<SignedUpUser>;
        /// See [`crate::Database::change_password`].
        fn change_password(request: ChangePasswordRequest) -> Result<String>;
    }
);

sub_client!(
    /// The blocking anonymous-session API.
    Anonymous, anonymous {
        /// See [`crate::Anonymous::create_session`].
        fn create_session(request: AnonymousSessionRequest) -> Result<AnonymousSession>;
        /// See [`crate::Anonymous::get_access_token`].
        fn get_access_token(request: AnonymousSessionRequest) -> Result<AnonymousSession>;
        /// See [`crate::Anonymous::logout`].
        fn logout() -> Result<()>;
        /// See [`crate::Anonymous::mint_transfer_token`].
        fn mint_transfer_token(session_token: &SecretString) -> Option<SecretString>;
    }
);
