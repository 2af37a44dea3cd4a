//! Subscriptions as a byte trie: each node is a prefix and holds how many
//! times each subscriber subscribed to exactly that prefix.
//!
//! Matching a message walks its first frame once from the root, collecting
//! the subscribers of every node passed (every prefix of the message), so
//! the cost is the length of the topic plus the number of recipients,
//! whatever the number of subscriptions. Subscriptions are counted, not
//! idempotent (RFC 29): two SUBSCRIBEs to "A" need two CANCELs.

use std::collections::HashMap;

use oxmq_transports::PeerId;

#[derive(Debug, Default)]
struct Node {
    /// Children sorted by their byte.
    children: Vec<(u8, Node)>,
    /// Subscriber → number of subscriptions to exactly this prefix.
    subscribers: HashMap<PeerId, u32>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.subscribers.is_empty()
    }
}

/// A counted prefix trie of subscriptions.
#[derive(Debug, Default)]
pub(crate) struct SubTrie {
    root: Node,
}

impl SubTrie {
    /// Adds one subscription of `peer` to `topic`. Returns whether the topic
    /// had no subscription at all before (XPUB reports such ones upstream).
    pub(crate) fn add(&mut self, topic: &[u8], peer: PeerId) -> bool {
        let mut node = &mut self.root;
        for &b in topic {
            let pos = match node.children.binary_search_by_key(&b, |(k, _)| *k) {
                Ok(pos) => pos,
                Err(pos) => {
                    node.children.insert(pos, (b, Node::default()));
                    pos
                }
            };
            node = &mut node.children[pos].1;
        }
        let first = node.subscribers.is_empty();
        *node.subscribers.entry(peer).or_default() += 1;
        first
    }

    /// Removes one subscription of `peer` to `topic`. Returns `Some(true)`
    /// when the topic now has no subscriber at all, `None` when `peer` had
    /// no such subscription.
    pub(crate) fn remove(&mut self, topic: &[u8], peer: PeerId) -> Option<bool> {
        fn walk(node: &mut Node, topic: &[u8], peer: PeerId) -> Option<bool> {
            match topic.split_first() {
                None => {
                    let count = node.subscribers.get_mut(&peer)?;
                    *count -= 1;
                    if *count == 0 {
                        node.subscribers.remove(&peer);
                    }
                    Some(node.subscribers.is_empty())
                }
                Some((&b, rest)) => {
                    let pos = node.children.binary_search_by_key(&b, |(k, _)| *k).ok()?;
                    let result = walk(&mut node.children[pos].1, rest, peer);
                    if node.children[pos].1.is_empty() {
                        node.children.remove(pos);
                    }
                    result
                }
            }
        }
        walk(&mut self.root, topic, peer)
    }

    /// Calls `f` with the subscribers of every prefix of `data`. Returns how
    /// many nodes had subscribers (when more than one, a subscriber may have
    /// been reported more than once).
    pub(crate) fn for_each_match(&self, data: &[u8], mut f: impl FnMut(PeerId)) -> usize {
        let mut node = &self.root;
        let mut nodes = 0;
        let mut i = 0;
        loop {
            if !node.subscribers.is_empty() {
                nodes += 1;
                node.subscribers.keys().for_each(|&p| f(p));
            }
            let Some(&b) = data.get(i) else { break };
            match node.children.binary_search_by_key(&b, |(k, _)| *k) {
                Ok(pos) => node = &node.children[pos].1,
                Err(_) => break,
            }
            i += 1;
        }
        nodes
    }

    /// Whether any subscription is a prefix of `data`.
    pub(crate) fn matches(&self, data: &[u8]) -> bool {
        let mut node = &self.root;
        for &b in data {
            if !node.subscribers.is_empty() {
                return true;
            }
            match node.children.binary_search_by_key(&b, |(k, _)| *k) {
                Ok(pos) => node = &node.children[pos].1,
                Err(_) => return false,
            }
        }
        !node.subscribers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_prefix_matching() {
        let mut t = SubTrie::default();
        assert!(t.add(b"A", 1));
        assert!(!t.add(b"A", 1));
        assert!(!t.add(b"A", 2));
        assert!(t.add(b"AB", 3));
        let mut got = Vec::new();
        assert_eq!(t.for_each_match(b"ABC", |p| got.push(p)), 2);
        got.sort_unstable();
        assert_eq!(got, vec![1, 2, 3]);
        assert!(t.matches(b"AZ"));
        assert!(!t.matches(b"B"));
        assert_eq!(t.remove(b"A", 1), Some(false));
        assert_eq!(t.remove(b"A", 1), Some(false));
        assert_eq!(t.remove(b"A", 2), Some(true));
        assert_eq!(t.remove(b"A", 2), None);
        assert!(!t.matches(b"AZ"));
        assert_eq!(t.remove(b"AB", 3), Some(true));
        assert!(t.root.is_empty());
    }

    #[test]
    fn empty_topic_matches_everything() {
        let mut t = SubTrie::default();
        t.add(b"", 7);
        assert!(t.matches(b""));
        assert!(t.matches(b"anything"));
        let mut n = 0;
        t.for_each_match(b"x", |_| n += 1);
        assert_eq!(n, 1);
    }
}
