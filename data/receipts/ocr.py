"""OCR engines behind one small interface: an image file in, positioned words out.

* :class:`TesseractEngine` (the default): Tesseract through pytesseract on the worker, one thread per
  image (``OMP_THREAD_LIMIT=1``: Tesseract's OpenMP threads make it 3-5 times slower per image on a
  small shared machine) and a time limit per image.
* :class:`HttpEngine`, when ``OCR_PROVIDER_URL`` is set: an external OCR service. The interface, also in
  the README: ``POST <OCR_PROVIDER_URL>`` with the image bytes as the body (``Content-Type`` the image's
  type, ``Authorization: Bearer <OCR_PROVIDER_TOKEN>`` when that is set); the service answers 200 with
  JSON ``{"words": [{"text", "left", "top", "width", "height", "confidence"?}, ...]}`` in the image's
  pixels; ``"lines"`` with the same keys is accepted instead of (or as well as) words. Any other answer
  is an :class:`OcrError` and the receipt fails with the reason.
"""

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from django.conf import settings

from data.parsing.receipts import Word, words_from_tesseract_tsv
from data.receipts.images import image_prepare_for_ocr

# Read by the tesseract process pytesseract starts, which inherits this environment.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Page segmentation: one uniform block of text, which is what a receipt is. Tesseract's default
# (automatic page segmentation) splits a receipt's columns apart and loses more totals and dates.
TESSERACT_CONFIG = "--oem 1 --psm 6"
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class OcrError(Exception):
    """The OCR engine could not read the image; the message says why (kept on the failed receipt)."""


@dataclass(frozen=True)
class OcrResult:
    words: list[Word]
    engine: str
    seconds: float


class TesseractEngine:
    name = "tesseract"

    def read(self, path: str) -> OcrResult:
        started = time.perf_counter()
        prepared = image_prepare_for_ocr(path)
        try:
            tsv = pytesseract.image_to_data(
                prepared.image, config=TESSERACT_CONFIG, timeout=settings.OCR_TIMEOUT_SECONDS
            )
        except RuntimeError as error:  # pytesseract's "Tesseract process timeout"
            raise OcrError(f"Tesseract gave up after {settings.OCR_TIMEOUT_SECONDS} s: {error}") from error
        except pytesseract.TesseractNotFoundError as error:
            raise OcrError(
                "Tesseract is not installed on this worker (apt-get install tesseract-ocr)."
            ) from error
        except pytesseract.TesseractError as error:
            raise OcrError(f"Tesseract failed: {error.message}") from error
        version = pytesseract.get_tesseract_version()
        return OcrResult(
            words=words_from_tesseract_tsv(tsv),
            engine=f"tesseract {version}",
            seconds=time.perf_counter() - started,
        )


class HttpEngine:
    """An external OCR service speaking the interface in this module's docstring."""

    def __init__(self, url: str, token: str = ""):
        self.url = url
        self.token = token
        self.name = f"http {url}"

    def read(self, path: str) -> OcrResult:
        started = time.perf_counter()
        headers = {"Content-Type": CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, data=Path(path).read_bytes(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.OCR_TIMEOUT_SECONDS) as response:
                body = response.read(settings.OCR_PROVIDER_MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise OcrError(f"The OCR service answered {error.code} {error.reason}.") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise OcrError(f"The OCR service could not be reached: {error}.") from error
        if len(body) > settings.OCR_PROVIDER_MAX_RESPONSE_BYTES:
            raise OcrError("The OCR service's answer is too large.")
        return OcrResult(
            words=_words_from_json(body), engine=self.name, seconds=time.perf_counter() - started
        )


def _words_from_json(body: bytes) -> list[Word]:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise OcrError("The OCR service's answer is not JSON.") from error
    if not isinstance(document, dict) or not any(
        isinstance(document.get(key), list) for key in ("words", "lines")
    ):
        raise OcrError('The OCR service\'s answer has no "words" or "lines" list.')
    words = []
    for key in ("words", "lines"):
        for position, entry in enumerate(document.get(key) or []):
            try:
                words.append(
                    Word(
                        text=str(entry["text"]),
                        left=int(entry["left"]),
                        top=int(entry["top"]),
                        width=int(entry["width"]),
                        height=int(entry["height"]),
                        confidence=float(entry.get("confidence", 100.0)),
                    )
                )
            except (KeyError, TypeError, ValueError) as error:
                raise OcrError(
                    f"The OCR service's {key}[{position}] lacks text or a box ({error})."
                ) from error
    return words


def ocr_engine():
    """The configured engine: the external service when ``OCR_PROVIDER_URL`` is set, else Tesseract."""
    if settings.OCR_PROVIDER_URL:
        return HttpEngine(settings.OCR_PROVIDER_URL, settings.OCR_PROVIDER_TOKEN)
    return TesseractEngine()
