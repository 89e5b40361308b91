"""RFC 6962 Merkle trees (Certificate Transparency, section 2.1): pure hashing, no Django.

``leaf_hash(row) = SHA-256(0x00 ‖ row)`` and ``node_hash(left, right) = SHA-256(0x01 ‖ left ‖ right)``;
a tree of n > 1 leaves splits at k, the largest power of two smaller than n: MTH(D[0:k]) and MTH(D[k:n]).
An odd node is never paired with a copy of itself, so no two different leaf lists share a root (the
duplicated-node ambiguity of CVE-2012-2459). The empty tree's hash is SHA-256 of nothing.

Trees are built bottom-up, level by level, which gives the same root as the recursive definition: at
each level adjacent pairs are combined and a last unpaired node is carried up unchanged.
"""

import hashlib

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(row: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + row).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last (carrying up a last unpaired node)."""
    levels = [list(leaves)]
    sha256 = hashlib.sha256
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [sha256(NODE_PREFIX + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def root(leaves: list[bytes]) -> bytes:
    """The Merkle tree hash of these leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _levels(leaves)[-1][0]


def audit_path(leaves: list[bytes], index: int) -> list[bytes]:
    """The inclusion proof of leaf ``index``: sibling hashes from the leaf up to the root (RFC 6962 2.1.1)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    path = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):  # a last unpaired node has no sibling at this level: it is carried up
            path.append(level[sibling])
        index //= 2
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], expected_root: bytes) -> bool:
    """Whether ``path`` proves leaf hash ``leaf`` is leaf ``index`` of a tree of ``size`` with this root.

    RFC 9162 section 2.1.3.2, the algorithm a client runs (the README shows the same few lines).
    """
    if not 0 <= index < size:
        return False
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == expected_root
