//! The agent's integration tests: against the local Samba AD DC over LDAPS with certificate
//! verification (`ldap`), and through the wire — relay sender → local relay → agent → Samba
//! (`wire`). They need `local/samba/ensure.sh` to have run and FAIL (never skip) otherwise.

mod delete;
mod helpers;
mod ldap;
mod wire;
