"""Bearer-token authentication: SimpleJWT's, and a token whose login was revoked is refused."""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.tokens import token_family_is_revoked


class JWTAuthentication(authentication.JWTAuthentication):
    """Refuses (401) an access token of a logged-out login or of a refresh token family that was reused."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if token_family_is_revoked(token.payload):
            raise InvalidToken({"detail": "This token was revoked: log in again.", "code": "token_not_valid"})
        return token
