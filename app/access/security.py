"""Secrets handling: password hashes, access tokens, token and key hashes, NIK encryption."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from cryptography.fernet import Fernet, InvalidToken
from fastapi import Depends, Request
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.models.common import utcnow

TOKEN_ISSUER = "kopdes"
TOKEN_AUDIENCE = "kopdes-api"
TOKEN_ALGORITHM = "HS256"
API_KEY_PREFIX = "kop"

_password_hash = PasswordHash((Argon2Hasher(),))
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _password_hash.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return _password_hash.verify(password, password_hash or _DUMMY_HASH) and bool(password_hash)


def sha256_hex(secret: str) -> str:
    # High-entropy random secrets need no slow hash; SHA-256 makes a stolen table useless.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def new_token_family() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    key: str


def new_api_key() -> NewApiKey:
    """`kop_<id>_<secret>`: the id is stored in clear to find the key, the whole key hashed."""
    key_id = secrets.token_hex(6)
    return NewApiKey(key_id=key_id, key=f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}")


def api_key_id(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    return parts[1]


def issue_access_token(claims: dict[str, Any], secret: str, minutes: int) -> str:
    now = utcnow()
    payload = {
        **claims,
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, secret, algorithm=TOKEN_ALGORITHM)


def decode_access_token(token: str, secret: str) -> dict[str, Any]:
    """The token's claims; raises `jwt.InvalidTokenError` for anything not issued by us."""
    return jwt.decode(
        token,
        secret,
        algorithms=[TOKEN_ALGORITHM],
        audience=TOKEN_AUDIENCE,
        issuer=TOKEN_ISSUER,
        options={"require": ["exp", "iat", "sub", "aud", "iss"]},
    )


class NikCipher:
    """Encrypts NIKs at rest. Only the gated, audited NIK endpoint ever decrypts."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def encrypt(self, nik: str) -> str:
        return self._fernet.encrypt(nik.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("the NIK cannot be decrypted with the configured key") from None


async def get_nik_cipher(request: Request) -> NikCipher:
    return request.app.state.nik_cipher


NikCipherDep = Annotated[NikCipher, Depends(get_nik_cipher)]
