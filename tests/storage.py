"""A storage like object storage (S3 and its kind): files live elsewhere and have no local path."""

from django.core.files.base import ContentFile
from django.core.files.storage import Storage


class PathlessStorage(Storage):
    """Files kept in memory by name; ``path()`` is the base class's NotImplementedError."""

    files: dict[str, bytes] = {}

    def _open(self, name, mode="rb"):
        return ContentFile(self.files[name], name=name)

    def _save(self, name, content):
        content.seek(0)
        self.files[name] = b"".join(content.chunks())
        return name

    def exists(self, name):
        return name in self.files

    def delete(self, name):
        self.files.pop(name, None)

    def size(self, name):
        return len(self.files[name])

    def url(self, name):
        return f"https://objects.example.com/{name}"
