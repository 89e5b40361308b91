"""Receipt images: what an upload must be before anything else happens, and what OCR is given.

The checks run before the image is stored or queued. The format is judged by content (Pillow's parsers
for JPEG, PNG and WebP only: a GIF or a PDF renamed ``.jpg`` is refused); the pixel count is read from
the header and refused above ``RECEIPT_MAX_PIXELS`` before a single pixel is decoded, so a small file
that would inflate to gigabytes (a decompression bomb) never reaches memory; a file that ends early is
refused rather than stored half-grey. What is stored is re-encoded from the decoded pixels, upright
(EXIF orientation applied) and without EXIF, XMP or comments, so no location leaves the phone with it.
"""

import io
import warnings
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from scipy import ndimage

from project.common.exceptions import ApplicationError, PayloadTooLarge

# Pillow's own guard against decompression bombs is a module-wide limit: set it to ours, explicitly,
# and never load truncated files (Pillow's default, stated so that nobody flips it elsewhere unseen).
Image.MAX_IMAGE_PIXELS = settings.RECEIPT_MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The parsers Pillow may try: no other format's code ever sees an upload.
PARSERS = ["JPEG", "PNG", "WEBP"]
# Pillow's format name → the format stored. Phones write multi-picture JPEGs (MPO), read by the JPEG parser.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


class ImageRejected(ApplicationError):
    """The upload is not an image we read (400, naming the ``file`` field)."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


def receipt_size_check(size_bytes: int, *, allowance: int = 0) -> None:
    """413 for an image over ``RECEIPT_MAX_BYTES`` (``allowance`` covers a multipart body's framing)."""
    if size_bytes > settings.RECEIPT_MAX_BYTES + allowance:
        raise PayloadTooLarge(
            f"The image is larger than the {settings.RECEIPT_MAX_BYTES // (1024 * 1024)} MB limit."
        )


def _pixel_limit_message(width: int | None = None, height: int | None = None) -> str:
    size = f" ({width}x{height})" if width else ""
    return (
        f"The image has too many pixels{size}: the limit is "
        f"{settings.RECEIPT_MAX_PIXELS / 1_000_000:.0f} megapixels."
    )


def receipt_image_check(file) -> CheckedImage:
    """Validate an uploaded receipt image and return it re-encoded: upright, metadata stripped.

    Raises :class:`ImageRejected` (400) for anything that is not a whole JPEG, PNG or WebP image within
    the pixel limit, and :class:`PayloadTooLarge` (413) above the byte limit.
    """
    receipt_size_check(file.size)
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice its limit: make that a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file, formats=PARSERS)
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRejected("The file must be a JPEG, PNG or WebP image.")
            if image.width * image.height > settings.RECEIPT_MAX_PIXELS:
                raise ImageRejected(_pixel_limit_message(image.width, image.height))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_pixel_limit_message()) from error
    except UnidentifiedImageError as error:
        raise ImageRejected("The file must be a JPEG, PNG or WebP image.") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow says "image file is truncated", "broken data stream" and the like.
        raise ImageRejected(f"The image is truncated or damaged ({error}).") from error
    stored_format = ACCEPTED_FORMATS[image.format]
    upright = ImageOps.exif_transpose(image)
    image.close()
    upright = _flatten(upright)
    upright.info = {}
    buffer = io.BytesIO()
    if stored_format == "JPEG":
        upright.save(buffer, "JPEG", quality=92, comment=b"")
    elif stored_format == "PNG":
        upright.save(buffer, "PNG", compress_level=3)
    else:
        upright.save(buffer, "WEBP", quality=90, method=2)
    return CheckedImage(buffer.getvalue(), stored_format, upright.width, upright.height)


def _flatten(image: Image.Image) -> Image.Image:
    """Grey or RGB pixels: transparency is put on white (receipts are dark print on paper)."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("1", "I", "I;16", "F"):
        return image.convert("L")
    return image.convert("RGB")


# --- what OCR is given ------------------------------------------------------------------------------

# Tesseract reads best when a capital letter is about this tall, in pixels; receipts arrive at anything
# from 10 to 100. On the shared sample 40 read more dates than 30 and as many totals (benchmarks/receipts).
TARGET_CAPITAL_HEIGHT = 40
# Above this many pixels a JPEG is decoded at half size or less straight away (DCT scaling).
DRAFT_ABOVE_PIXELS = 6_000_000


def _ink(gray: np.ndarray) -> np.ndarray:
    """Where the ink is, to measure the print (Otsu's threshold; the image given to OCR is not
    thresholded)."""
    histogram = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    weights = np.arange(256)
    total, total_sum = histogram.sum(), (histogram * weights).sum()
    below, below_sum, best, threshold = 0.0, 0.0, -1.0, 128
    for level in range(256):
        below += histogram[level]
        below_sum += histogram[level] * level
        above = total - below
        if below == 0 or above == 0:
            continue
        between = below * above * (below_sum / below - (total_sum - below_sum) / above) ** 2
        if between > best:
            best, threshold = between, level
    return gray <= threshold


def capital_height(gray: Image.Image) -> float | None:
    """The typical height of the page's letters in pixels: the upper quartile of the heights of
    letter-sized blobs of ink (connected components), which is about a capital's height; None when
    the page shows too few letters to tell."""
    scale = 1.0
    if gray.width > 1200:
        scale = 1200 / gray.width
        gray = gray.resize((1200, max(1, round(gray.height * scale))), Image.Resampling.BILINEAR)
    labels, count = ndimage.label(_ink(np.asarray(gray, dtype=np.uint8)))
    if count < 20:
        return None
    slices = ndimage.find_objects(labels)
    heights = np.array([piece[0].stop - piece[0].start for piece in slices])
    widths = np.array([piece[1].stop - piece[1].start for piece in slices])
    # Letters: taller than a speck, not a rule or a logo, not much wider than tall.
    letters = heights[(heights >= 4) & (heights <= 200) & (widths <= heights * 2)]
    if len(letters) < 20:
        return None
    return float(np.percentile(letters, 75)) / scale


def skew_angle(gray: Image.Image, *, limit: float = 5.0, step: float = 0.5) -> float:
    """The rotation (degrees) that makes the text lines most horizontal: the angle whose row profile of
    ink is sharpest, searched within ±``limit``."""
    scale = 800 / max(gray.size)
    if scale < 1:
        gray = gray.resize(
            (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
            Image.Resampling.BILINEAR,
        )
    ink = Image.fromarray(_ink(np.asarray(gray, dtype=np.uint8)).astype(np.uint8) * 255)
    best_angle, best_score = 0.0, -1.0
    for angle in np.arange(-limit, limit + step / 2, step):
        profile = (np.asarray(ink.rotate(float(angle), resample=Image.Resampling.NEAREST)) > 0).sum(axis=1)
        score = float((np.diff(profile.astype(np.float64)) ** 2).sum())
        if score > best_score:
            best_angle, best_score = float(angle), score
    return best_angle


@dataclass(frozen=True)
class Prepared:
    image: Image.Image
    scale: float  # prepared pixels per stored pixel
    angle: float


def image_prepare_for_ocr(
    path_or_file,
    *,
    target_height: float = TARGET_CAPITAL_HEIGHT,
    deskew: bool = True,
    stretch_contrast: bool = True,
) -> Prepared:
    """The stored image as Tesseract reads it best: grey, scaled so a capital letter is about
    ``target_height`` pixels tall (large scans down, small photos up), and straightened.

    Not thresholded: on real receipts a global (Otsu) threshold loses faint thermal print that
    Tesseract's own adaptive binarisation keeps (see benchmarks/receipts/README.md).
    """
    with Image.open(path_or_file, formats=PARSERS) as source:
        width = source.width
        if source.format in ("JPEG", "MPO") and source.width * source.height > DRAFT_ABOVE_PIXELS:
            source.draft("L", (source.width // 2, source.height // 2))
        gray = source.convert("L")
    if stretch_contrast:
        # Faded thermal print is grey on grey: stretch the darkest and lightest 1% to black and white.
        gray = ImageOps.autocontrast(gray, cutoff=1)
    scale = gray.width / width
    height = capital_height(gray) if target_height else None
    if height:
        factor = max(0.2, min(4.0, target_height / height))
        if abs(factor - 1) > 0.1:
            gray = gray.resize(
                (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))),
                Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC,
            )
            scale *= factor
    angle = skew_angle(gray) if deskew else 0.0
    if abs(angle) >= 0.5:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return Prepared(gray, scale, angle)
