//! `--partition`: one shard of a run, with cargo-nextest's meanings. `hash:K/N` keeps the trials
//! whose id hashes to shard K (the first 8 bytes of the id's sha256, big-endian, modulo N, plus
//! one), so a trial keeps its shard whatever other trials are added or removed; `slice:K/N` keeps
//! every N-th trial of the selection sorted by id, starting with the K-th (round robin). K is
//! 1-based. Applied to the trials that every other filter left.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hash,
    Slice,
}

/// Shard `shard` of `total` (1 ≤ shard ≤ total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub kind: Kind,
    pub shard: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid partition `{text}`: {why}; expected hash:K/N or slice:K/N with 1 <= K <= N")]
pub struct PartitionError {
    text: String,
    why: &'static str,
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(text: &str) -> Result<Partition, PartitionError> {
        let error = |why| PartitionError {
            text: text.to_owned(),
            why,
        };
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| error("no `:` after the kind"))?;
        let kind = match kind {
            "hash" => Kind::Hash,
            "slice" => Kind::Slice,
            _ => return Err(error("the kind must be `hash` or `slice`")),
        };
        let (shard, total) = rest
            .split_once('/')
            .ok_or_else(|| error("no `/` between K and N"))?;
        let number = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| error("K and N must be whole numbers"))
        };
        let (shard, total) = (number(shard)?, number(total)?);
        if total == 0 {
            return Err(error("N must be at least 1"));
        }
        if shard == 0 || shard > total {
            return Err(error("K must be between 1 and N"));
        }
        Ok(Partition { kind, shard, total })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Hash => "hash",
            Kind::Slice => "slice",
        };
        write!(f, "{kind}:{}/{}", self.shard, self.total)
    }
}

/// The 1-based shard of `total` that `id` hashes to.
pub fn hash_shard(id: &str, total: u64) -> u64 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % total + 1
}

impl Partition {
    /// For each of `ids` (the selected trials, in any order), whether it is in this shard.
    pub fn keeps(&self, ids: &[&str]) -> Vec<bool> {
        match self.kind {
            Kind::Hash => ids
                .iter()
                .map(|id| hash_shard(id, self.total) == self.shard)
                .collect(),
            Kind::Slice => {
                let mut order: Vec<usize> = (0..ids.len()).collect();
                order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
                let mut keep = vec![false; ids.len()];
                for (position, &index) in order.iter().enumerate() {
                    keep[index] = position as u64 % self.total + 1 == self.shard;
                }
                keep
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("Node.js20.15::area::case-{i}"))
            .collect()
    }

    fn shard_of(partition: &str, ids: &[String]) -> Vec<String> {
        let partition: Partition = partition.parse().unwrap();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let keep = partition.keeps(&refs);
        ids.iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(id, _)| id.clone())
            .collect()
    }

    #[test]
    fn parses_and_refuses() {
        let p: Partition = "hash:2/3".parse().unwrap();
        assert_eq!((p.kind, p.shard, p.total), (Kind::Hash, 2, 3));
        assert_eq!(p.to_string(), "hash:2/3");
        assert_eq!("slice:1/1".parse::<Partition>().unwrap().kind, Kind::Slice);
        for bad in [
            "hash:4/3",
            "hash:0/3",
            "hash:1/0",
            "count:1/2",
            "hash1/2",
            "hash:1-2",
            "slice:a/2",
            "",
        ] {
            let error = bad.parse::<Partition>().unwrap_err().to_string();
            assert!(error.contains(&format!("`{bad}`")), "{error}");
        }
        assert!(
            "hash:4/3"
                .parse::<Partition>()
                .unwrap_err()
                .to_string()
                .contains("K must be between 1 and N")
        );
        assert!(
            "hash:0/0"
                .parse::<Partition>()
                .unwrap_err()
                .to_string()
                .contains("N must be at least 1")
        );
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_selection() {
        let all = ids(50);
        for kind in ["hash", "slice"] {
            let mut union = Vec::new();
            for k in 1..=4 {
                union.extend(shard_of(&format!("{kind}:{k}/4"), &all));
            }
            union.sort();
            let mut expected = all.clone();
            expected.sort();
            assert_eq!(union, expected, "{kind}");
        }
    }

    #[test]
    fn slice_is_round_robin_over_the_sorted_ids() {
        let all = vec![
            "c".to_owned(),
            "a".to_owned(),
            "d".to_owned(),
            "b".to_owned(),
        ];
        assert_eq!(shard_of("slice:1/2", &all), ["c", "a"]);
        assert_eq!(shard_of("slice:2/2", &all), ["d", "b"]);
        let sizes: Vec<usize> = (1..=3)
            .map(|k| shard_of(&format!("slice:{k}/3"), &ids(10)).len())
            .collect();
        assert_eq!(sizes, [4, 3, 3]);
    }

    #[test]
    fn a_trial_keeps_its_hash_shard_when_others_are_added() {
        let few = ids(20);
        let many = ids(200);
        for k in 1..=3 {
            let before = shard_of(&format!("hash:{k}/3"), &few);
            let after = shard_of(&format!("hash:{k}/3"), &many);
            assert!(!before.is_empty());
            for id in &before {
                assert!(after.contains(id), "{id} left shard {k}");
            }
        }
        // The documented rule, pinned: sha256's first 8 bytes, big-endian, mod N, plus one.
        let digest = Sha256::digest(b"Node.js20.15::handler::x");
        let n = u64::from_be_bytes(digest[..8].try_into().unwrap());
        assert_eq!(hash_shard("Node.js20.15::handler::x", 7), n % 7 + 1);
    }
}
