//! AES-128-SIV (RFC 5297) for token payloads, with one associated-data
//! item (the key id), and everything that depends only on the key done
//! once: the two AES key schedules, the CMAC subkeys, and the part of S2V
//! that covers the zero block and the key id. Sealing and opening then
//! cost one CMAC pass over the payload and one CTR pass, and need no lock.
//!
//! Built on RustCrypto's `aes` block cipher, with CMAC (RFC 4493) and CTR
//! written out here so no key schedule is copied per call; tests check
//! RFC 5297's vector and that it seals and opens exactly as the `aes-siv`
//! crate does.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use subtle::ConstantTimeEq;

/// 128 bits.
type Block = [u8; 16];

/// The AES-SIV state of one token key.
pub(crate) struct Siv {
    /// AES keyed with the first half of the key (S2V's CMAC).
    mac: Aes128,
    /// CMAC's subkeys K1 and K2 (RFC 4493).
    k1: Block,
    k2: Block,
    /// AES keyed with the second half (CTR).
    ctr: Aes128,
    /// S2V's running value after the zero block and the key id:
    /// `dbl(CMAC(0)) xor CMAC(key id)`.
    after_ad: Block,
}

/// Doubling in GF(2^128) (RFC 5297 section 2.3; RFC 4493's subkeys).
fn dbl(block: Block) -> Block {
    // Without a branch on the bits (the inputs depend only on the key).
    let v = u128::from_be_bytes(block);
    ((v << 1) ^ ((v >> 127) * 0x87)).to_be_bytes()
}

fn xor(a: Block, b: Block) -> Block {
    (u128::from_be_bytes(a) ^ u128::from_be_bytes(b)).to_be_bytes()
}

fn encrypt(cipher: &Aes128, block: Block) -> Block {
    let mut b = aes::Block::from(block);
    cipher.encrypt_block(&mut b);
    b.into()
}

impl Siv {
    /// The state for a 32-byte key (CMAC half first, as RFC 5297 and the
    /// `aes-siv` crate split it) and one associated-data item; `None` for
    /// a key of another length.
    pub(crate) fn new(key: &[u8], associated: &[u8]) -> Option<Self> {
        if key.len() != 32 {
            return None;
        }
        let (mac_key, ctr_key) = (key.get(..16)?, key.get(16..32)?);
        let mac = <Aes128 as KeyInit>::new_from_slice(mac_key).ok()?;
        let ctr = <Aes128 as KeyInit>::new_from_slice(ctr_key).ok()?;
        let k1 = dbl(encrypt(&mac, [0u8; 16]));
        let k2 = dbl(k1);
        let mut siv = Siv {
            mac,
            k1,
            k2,
            ctr,
            after_ad: [0u8; 16],
        };
        siv.after_ad = xor(dbl(siv.cmac(&[0u8; 16], &[])), siv.cmac(associated, &[]));
        Some(siv)
    }

    /// AES-CMAC (RFC 4493) of `front` followed by `tail`, read a block at
    /// a time (nothing copied but one block).
    fn cmac(&self, front: &[u8], tail: &[u8]) -> Block {
        let total = front.len() + tail.len();
        let blocks = total.div_ceil(16).max(1);
        let complete = total > 0 && total % 16 == 0;
        let mut x = [0u8; 16];
        for n in 0..blocks {
            let start = n * 16;
            let len = total.saturating_sub(start).min(16);
            // Bytes `start..start + len` of `front` then `tail`, copied as
            // at most two slices.
            let mut block = [0u8; 16];
            let from_front = front.get(start..).unwrap_or_default();
            let in_front = from_front.len().min(len);
            if let (Some(dst), Some(src)) = (block.get_mut(..in_front), from_front.get(..in_front))
            {
                dst.copy_from_slice(src);
            }
            let tail_start = (start + in_front).saturating_sub(front.len());
            let in_tail = len - in_front;
            if let (Some(dst), Some(src)) = (
                block.get_mut(in_front..len),
                tail.get(tail_start..tail_start + in_tail),
            ) {
                dst.copy_from_slice(src);
            }
            if n + 1 == blocks {
                block = if complete {
                    xor(block, self.k1)
                } else {
                    if let Some(marker) = block.get_mut(len) {
                        *marker = 0x80;
                    }
                    xor(block, self.k2)
                };
            }
            x = encrypt(&self.mac, xor(x, block));
        }
        x
    }

    /// S2V's last step over `plaintext`: the synthetic IV.
    fn s2v(&self, plaintext: &[u8]) -> Block {
        match plaintext.len().checked_sub(16) {
            // `plaintext xorend D`.
            Some(head) => {
                let (front, last) = plaintext.split_at(head);
                let mut tail = [0u8; 16];
                tail.copy_from_slice(last);
                self.cmac(front, &xor(tail, self.after_ad))
            }
            // `dbl(D) xor pad(plaintext)`.
            None => {
                let mut padded = [0u8; 16];
                if let Some(dst) = padded.get_mut(..plaintext.len()) {
                    dst.copy_from_slice(plaintext);
                }
                if let Some(marker) = padded.get_mut(plaintext.len()) {
                    *marker = 0x80;
                }
                self.cmac(&xor(dbl(self.after_ad), padded), &[])
            }
        }
    }

    /// CTR over `data` from the synthetic IV with bits 31 and 63 cleared,
    /// the 128-bit counter incremented (wrapping), eight blocks of key
    /// stream at a time.
    fn ctr(&self, iv: &Block, data: &mut [u8]) {
        let mut q = *iv;
        for at in [8, 12] {
            if let Some(b) = q.get_mut(at) {
                *b &= 0x7f;
            }
        }
        let mut counter = u128::from_be_bytes(q);
        for chunk in data.chunks_mut(16 * 8) {
            let mut stream = [aes::Block::default(); 8];
            let used = chunk.len().div_ceil(16);
            for block in stream.iter_mut().take(used) {
                *block = aes::Block::from(counter.to_be_bytes());
                counter = counter.wrapping_add(1);
            }
            if let Some(blocks) = stream.get_mut(..used) {
                self.ctr.encrypt_blocks(blocks);
            }
            for (byte, key) in chunk.iter_mut().zip(stream.iter().flatten()) {
                *byte ^= key;
            }
        }
    }

    /// The sealed form: the 16-byte synthetic IV, then the ciphertext.
    pub(crate) fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let iv = self.s2v(plaintext);
        let mut out = Vec::with_capacity(16 + plaintext.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(plaintext);
        if let Some(body) = out.get_mut(16..) {
            self.ctr(&iv, body);
        }
        out
    }

    /// Open `sealed` in place: the plaintext (the part after the IV,
    /// decrypted), or `None` when it is too short or the IV does not match
    /// (compared in constant time); then `sealed` is as it was (the
    /// unauthenticated decryption is encrypted again, not left in memory).
    pub(crate) fn open<'b>(&self, sealed: &'b mut [u8]) -> Option<&'b [u8]> {
        let (iv, body) = sealed.split_first_chunk_mut::<16>()?;
        let iv: Block = *iv;
        self.ctr(&iv, body);
        if bool::from(self.s2v(body).ct_eq(&iv)) {
            Some(&*body)
        } else {
            self.ctr(&iv, body);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_siv::siv::Aes128Siv;
    use proptest::prelude::*;

    /// RFC 5297 appendix A.1 (deterministic authenticated encryption).
    #[test]
    fn rfc_5297_vector() {
        let hex = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
        let key = hex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff");
        let ad = hex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
        let plaintext = hex("11223344 55667788 99aabbcc ddee");
        let expected = hex("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c");
        let siv = Siv::new(&key, &ad).unwrap();
        assert_eq!(siv.seal(&plaintext), expected);
        let mut sealed = expected.clone();
        assert_eq!(siv.open(&mut sealed), Some(plaintext.as_slice()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Sealing and opening agree with the `aes-siv` crate for any key,
        /// key id and payload, and a changed byte never opens.
        #[test]
        fn agrees_with_the_aes_siv_crate(
            key in prop::collection::vec(any::<u8>(), 32),
            kid in "[a-z0-9]{1,32}",
            plaintext in prop::collection::vec(any::<u8>(), 0..600),
            flip in any::<prop::sample::Index>(),
        ) {
            let ours = Siv::new(&key, kid.as_bytes()).unwrap();
            let mut theirs = <Aes128Siv as aes_siv::KeyInit>::new_from_slice(&key).unwrap();
            let sealed = theirs.encrypt([kid.as_bytes()], &plaintext).unwrap();
            prop_assert_eq!(ours.seal(&plaintext), sealed.clone());
            let mut opened = sealed.clone();
            prop_assert_eq!(ours.open(&mut opened), Some(plaintext.as_slice()));
            let mut tampered = sealed;
            let at = flip.index(tampered.len());
            tampered[at] ^= 1;
            let before = tampered.clone();
            prop_assert!(ours.open(&mut tampered).is_none());
            // A refused token leaves nothing decrypted behind.
            prop_assert_eq!(tampered, before);
        }
    }

    #[test]
    fn short_or_wrong_keys_and_inputs_are_refused() {
        assert!(Siv::new(&[0u8; 31], b"k").is_none());
        assert!(Siv::new(&[0u8; 33], b"k").is_none());
        let siv = Siv::new(&[1u8; 32], b"k").unwrap();
        for len in 0..16 {
            assert!(siv.open(&mut vec![0u8; len]).is_none());
        }
    }
}
