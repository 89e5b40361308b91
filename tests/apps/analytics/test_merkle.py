"""RFC 6962 hashing, against the Certificate Transparency reference vectors (no database)."""

import hashlib

import pytest

from apps.analytics import merkle

# The reference inputs and tree heads of the Certificate Transparency implementations (RFC 6962).
INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Inclusion proofs of the same reference tree (8 leaves).
PROOFS = {
    0: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    5: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in INPUTS]


def test_the_empty_tree_is_the_hash_of_nothing():
    assert merkle.root([]).hex() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_tree_heads(size):
    assert merkle.root(LEAVES[:size]).hex() == ROOTS[size - 1]


@pytest.mark.parametrize("index", sorted(PROOFS))
def test_audit_paths_match_the_reference_proofs(index):
    assert [node.hex() for node in merkle.audit_path(LEAVES, index)] == PROOFS[index]


def test_every_leaf_of_every_small_tree_proves_and_nothing_else_does():
    leaves = [merkle.leaf_hash(f"row {number}".encode()) for number in range(37)]
    for size in range(1, len(leaves) + 1):
        tree = leaves[:size]
        root = merkle.root(tree)
        for index in range(size):
            path = merkle.audit_path(tree, index)
            assert merkle.verify_inclusion(tree[index], index, size, path, root)
            assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, path, root)
            if path:
                bent = [bytes([path[0][0] ^ 1]) + path[0][1:], *path[1:]]
                assert not merkle.verify_inclusion(tree[index], index, size, bent, root)
            if size > 1:
                assert not merkle.verify_inclusion(tree[index], (index + 1) % size, size, path, root)


def test_an_odd_last_leaf_is_carried_up_not_duplicated():
    """CVE-2012-2459: duplicating the odd node would give [a, b, c] and [a, b, c, c] one root."""
    a, b, c = LEAVES[1:4]

    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)
    assert merkle.root([a, b, c]) != merkle.root([a, b, c, c])


def test_leaves_and_nodes_are_hashed_apart():
    """A leaf whose bytes are two hashes is not mistaken for the node over them (second preimages)."""
    a, b = LEAVES[1:3]

    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)
