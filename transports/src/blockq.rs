//! An unbounded single-producer, single-consumer queue made of blocks:
//! what carries the items of a [pipe](mod@crate::pipe), in the manner of
//! libzmq's `yqueue`.
//!
//! This is the one module of oxmq with `unsafe` code. It exists because the
//! inproc benchmark proved it needed: with a mutex-guarded queue, a sender
//! and a receiver on two cores fought for the lock on every message
//! (`lock_contended` was a tenth of the profile, the contended lock word and
//! queue slots half of the send path), and inproc throughput stayed at
//! 0.8–1.6× libzmq's. Here the two sides share nothing per message but the
//! slot itself:
//!
//! - The items live in fixed blocks of [`BLOCK`] slots, linked in order.
//!   Each slot has a `full` flag: the producer writes the item, then sets
//!   the flag (release); the consumer takes the item once it sees the flag
//!   (acquire). No index is shared, so no cache line is written by both
//!   sides for every item.
//! - When a block is used up, the producer links a new one after it; the
//!   consumer follows the link once it has taken the block's last item,
//!   and hands the old block back on a free list, a stack which the
//!   producer pops from before it allocates (the newest first: its lines
//!   are the likeliest to be in cache; one pusher and one popper, so a
//!   popped block cannot come back during a pop, and there is no ABA). The free
//!   list holds at most the number of blocks given to [`queue`] (the rest
//!   are freed): a queue keeps the blocks of its deepest backlog up to that
//!   bound, and a steady stream, or one that fills and drains, allocates
//!   nothing.
//! - The first block is made at the first push, so an unused queue costs
//!   no block.
//!
//! Ownership of the blocks: the producer only ever touches its current
//! block (and, once, the link in it); the consumer frees or recycles a
//! block only after it has followed that block's link, when the producer
//! has moved on for good. What is left when both halves are gone (items not
//! taken, the blocks, the free list) is freed by the shared [`Links`].
//!
//! The halves are `&mut self` types: one producer, one consumer. The pipe
//! serialises its senders with its lock before they reach the producer.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// Items per block.
pub(crate) const BLOCK: usize = 16;

struct Slot<T> {
    /// Set (release) once `value` is written; never cleared while the
    /// block is in use (the consumer's position says what was taken).
    full: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

struct Block<T> {
    slots: [Slot<T>; BLOCK],
    /// The next block, set (release) by the producer when this one is full
    /// and it needs room for one more item.
    next: AtomicPtr<Block<T>>,
}

impl<T> Block<T> {
    /// A new, empty block on the heap.
    fn alloc() -> *mut Block<T> {
        Box::into_raw(Box::new(Block {
            slots: std::array::from_fn(|_| Slot {
                full: AtomicBool::new(false),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }),
            next: AtomicPtr::new(ptr::null_mut()),
        }))
    }
}

/// What both halves share.
struct Links<T> {
    /// The first block, published by the producer at its first push.
    first: AtomicPtr<Block<T>>,
    /// Used-up blocks the consumer handed back, linked through `next`:
    /// the consumer pushes, the producer pops.
    free: AtomicPtr<Block<T>>,
    /// Blocks on the free list.
    free_count: AtomicUsize,
    /// At most this many free blocks are kept.
    free_max: usize,
    /// Blocks allocated so far (for tests, and for the curious).
    allocated: AtomicUsize,
    /// Where the consumer stood when it was dropped (its block and the
    /// index of the first item it did not take); a null block means it
    /// never took from `first`.
    rx_block: AtomicPtr<Block<T>>,
    rx_index: AtomicUsize,
    /// The links own `T`s (untaken items) and drop them.
    _items: PhantomData<T>,
}

impl<T> Drop for Links<T> {
    fn drop(&mut self) {
        // Both halves are gone (they hold the only references), so nothing
        // else touches the blocks now, and the reference count's
        // synchronisation makes every write of theirs visible.
        let mut block = *self.rx_block.get_mut();
        let mut index = *self.rx_index.get_mut();
        if block.is_null() {
            block = *self.first.get_mut();
            index = 0;
        }
        while !block.is_null() {
            // SAFETY: `block` is a live block of this queue's chain (the
            // consumer's block, or one linked after it, or the first block
            // when the consumer never moved from it); each is reached once,
            // and the consumer freed or recycled only the blocks before its
            // own. It was made by `Box::into_raw` in `Block::alloc`.
            let mut owned = unsafe { Box::from_raw(block) };
            for slot in &mut owned.slots[index..] {
                if *slot.full.get_mut() {
                    // SAFETY: a full slot at or after the consumer's
                    // position holds an item nobody took.
                    unsafe { slot.value.get_mut().assume_init_drop() };
                }
            }
            block = *owned.next.get_mut();
            index = 0;
        }
        // SAFETY: the free list's blocks are out of the chain (the
        // consumer unlinked them, the producer never took them) and hold no
        // item.
        unsafe { free_list(*self.free.get_mut()) };
    }
}

/// Frees a list of empty blocks linked through `next`.
///
/// # Safety
///
/// The blocks hold no item, and the caller owns them all.
unsafe fn free_list<T>(mut block: *mut Block<T>) {
    while !block.is_null() {
        // SAFETY: owned by the caller, made by `Block::alloc`.
        let owned = unsafe { Box::from_raw(block) };
        block = owned.next.load(Ordering::Relaxed);
    }
}

/// The writing half.
pub(crate) struct Producer<T> {
    /// The block being filled (null before the first push).
    block: *mut Block<T>,
    /// The next slot to fill in `block`.
    index: usize,
    links: Arc<Links<T>>,
}

// SAFETY: a producer holds a block that only it writes (slots not yet
// full) and that the consumer only reads after the release of a slot's
// flag; moving the producer to another thread moves that role with it.
// The items it writes are sent to the consumer's thread, hence `T: Send`.
unsafe impl<T: Send> Send for Producer<T> {}
// SAFETY: a shared `&Producer` gives no access to anything.
unsafe impl<T: Send> Sync for Producer<T> {}

/// The reading half.
pub(crate) struct Consumer<T> {
    /// The block being read (null until the first block is taken).
    block: *mut Block<T>,
    /// The next slot to take in `block`.
    index: usize,
    links: Arc<Links<T>>,
}

// SAFETY: as for `Producer`: the consumer's blocks are read only by it, and
// the items it takes came from another thread, hence `T: Send`.
unsafe impl<T: Send> Send for Consumer<T> {}
// SAFETY: a shared `&Consumer` only reads: the flags, the links, and the
// next item by reference (hence `T: Sync`); taking needs `&mut`.
unsafe impl<T: Send + Sync> Sync for Consumer<T> {}

/// Makes an empty queue that keeps at most `free_max` used-up blocks for
/// reuse.
pub(crate) fn queue<T>(free_max: usize) -> (Producer<T>, Consumer<T>) {
    let links = Arc::new(Links {
        first: AtomicPtr::new(ptr::null_mut()),
        free: AtomicPtr::new(ptr::null_mut()),
        free_count: AtomicUsize::new(0),
        free_max,
        allocated: AtomicUsize::new(0),
        rx_block: AtomicPtr::new(ptr::null_mut()),
        rx_index: AtomicUsize::new(0),
        _items: PhantomData,
    });
    (
        Producer {
            block: ptr::null_mut(),
            index: 0,
            links: links.clone(),
        },
        Consumer {
            block: ptr::null_mut(),
            index: 0,
            links,
        },
    )
}

impl<T> Producer<T> {
    /// A block to fill: the newest free one, or a new one.
    #[cold]
    fn fresh_block(&mut self) -> *mut Block<T> {
        let links = &*self.links;
        let mut head = links.free.load(Ordering::Acquire);
        while !head.is_null() {
            // SAFETY: a block on the free list stays there, with its `next`
            // unchanged, until the producer (alone) pops it; the consumer
            // only pushes other blocks in front of it. The acquire load
            // made its contents (the consumer's resets) visible.
            let next = unsafe { (*head).next.load(Ordering::Relaxed) };
            match links
                .free
                .compare_exchange_weak(head, next, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    links.free_count.fetch_sub(1, Ordering::Relaxed);
                    // SAFETY: popped: the producer's alone now.
                    unsafe { (*head).next.store(ptr::null_mut(), Ordering::Relaxed) };
                    return head;
                }
                Err(now) => head = now,
            }
        }
        links.allocated.fetch_add(1, Ordering::Relaxed);
        Block::alloc()
    }

    /// Appends an item.
    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if self.block.is_null() {
            let block = self.fresh_block();
            self.links.first.store(block, Ordering::Release);
            self.block = block;
            self.index = 0;
        } else if self.index == BLOCK {
            let block = self.fresh_block();
            // SAFETY: `self.block` is the producer's current block, live
            // until the consumer has followed this link (it frees a block
            // only after that, and the producer touches it no more).
            unsafe { (*self.block).next.store(block, Ordering::Release) };
            self.block = block;
            self.index = 0;
        }
        // SAFETY: the producer's block is live (see above) and the slot at
        // `index` is not full: the consumer reads it only after the flag is
        // set below, and a recycled block comes back with every flag clear.
        let slot = unsafe { &(*self.block).slots[self.index] };
        // SAFETY: (as above) the slot is the producer's alone until its
        // flag is set.
        unsafe { (*slot.value.get()).write(item) };
        slot.full.store(true, Ordering::Release);
        self.index += 1;
    }
}

impl<T> Consumer<T> {
    /// Where the next item is, if there is one: its block and slot index.
    #[inline]
    fn locate(&self) -> Option<(*mut Block<T>, usize)> {
        let (block, index) = if self.block.is_null() {
            (self.links.first.load(Ordering::Acquire), 0)
        } else if self.index == BLOCK {
            // SAFETY: the consumer's block is live: only the consumer frees
            // it, after leaving it.
            (unsafe { (*self.block).next.load(Ordering::Acquire) }, 0)
        } else {
            (self.block, self.index)
        };
        if block.is_null() {
            return None;
        }
        // SAFETY: `block` is the consumer's block or the one linked after
        // it (published with release, read with acquire above); live.
        let full = unsafe { (*block).slots[index].full.load(Ordering::Acquire) };
        full.then_some((block, index))
    }

    /// How many blocks the queue has allocated so far.
    #[cfg(test)]
    pub(crate) fn blocks_allocated(&self) -> usize {
        self.links.allocated.load(Ordering::Relaxed)
    }

    /// Whether no item is there now.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.locate().is_none()
    }

    /// Takes the next item.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.pop_if(|_| true)
    }

    /// Takes the next item if `wanted` says so (it sees the item first).
    #[inline]
    pub(crate) fn pop_if(&mut self, wanted: impl FnOnce(&T) -> bool) -> Option<T> {
        let (block, index) = self.locate()?;
        // SAFETY: the slot is full (seen with acquire, so its value is
        // written and visible) and not taken yet: only this method takes
        // items, and the producer never writes a full slot.
        if !wanted(unsafe { (*(*block).slots[index].value.get()).assume_init_ref() }) {
            return None;
        }
        if block != self.block {
            let old = std::mem::replace(&mut self.block, block);
            if !old.is_null() {
                self.recycle(old);
            }
        }
        self.index = index + 1;
        // SAFETY: as above; the index moves past the slot, so the item is
        // read out exactly once.
        Some(unsafe { (*(*block).slots[index].value.get()).assume_init_read() })
    }

    /// Hands a block the consumer has left back to the producer, or frees
    /// it when enough are kept.
    #[cold]
    fn recycle(&self, block: *mut Block<T>) {
        let links = &*self.links;
        if links.free_count.load(Ordering::Relaxed) >= links.free_max {
            // SAFETY: the consumer has taken every item of `block` and
            // followed its link, so the producer has moved on and will not
            // touch it; no one else holds it.
            drop(unsafe { Box::from_raw(block) });
            return;
        }
        links.free_count.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above, the block is the consumer's alone until the
        // push below publishes it.
        let b = unsafe { &*block };
        for slot in &b.slots {
            slot.full.store(false, Ordering::Relaxed);
        }
        let mut head = links.free.load(Ordering::Relaxed);
        loop {
            b.next.store(head, Ordering::Relaxed);
            // Only the producer changes the head otherwise, and only to
            // empty the list: a failed exchange just retries.
            match links.free.compare_exchange_weak(
                head,
                block,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Tell the links where untaken items start; they drop them once
        // the producer is gone too.
        self.links.rx_block.store(self.block, Ordering::Relaxed);
        self.links.rx_index.store(self.index, Ordering::Relaxed);
    }
}

impl<T> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the drops of its clones.
    #[derive(Debug, Clone)]
    struct Tracked(Arc<()>);

    #[test]
    fn items_come_out_in_order_across_blocks() {
        let (mut tx, mut rx) = queue(4);
        assert!(rx.pop().is_none());
        assert!(rx.is_empty());
        for round in 0..5 {
            for i in 0..(3 * BLOCK + 5) {
                tx.push((round, i));
            }
            assert_eq!(rx.pop_if(|_| false), None, "left in place");
            assert_eq!(rx.pop_if(|&(r, i)| r == round && i == 0), Some((round, 0)));
            for i in 1..(3 * BLOCK + 5) {
                assert_eq!(rx.pop(), Some((round, i)));
            }
            assert!(rx.pop().is_none());
            assert!(rx.is_empty());
        }
    }

    #[test]
    fn a_queue_that_fills_and_drains_reuses_its_blocks_up_to_the_bound() {
        let (mut tx, mut rx) = queue(3);
        // Ten blocks' worth: ten blocks, then all free but three.
        for i in 0..(10 * BLOCK) {
            tx.push(i);
        }
        while rx.pop().is_some() {}
        assert_eq!(rx.blocks_allocated(), 10);
        // Three blocks' worth again: the three kept (the consumer still
        // stands in the last block, and gives it back when it leaves it).
        for round in 0..3 {
            for i in 0..(3 * BLOCK) {
                tx.push(i);
            }
            while rx.pop().is_some() {}
            assert_eq!(rx.blocks_allocated(), 10, "round {round}");
        }
        // Four blocks' worth needs one block more than is kept, each time.
        for round in 1..=3 {
            for i in 0..(4 * BLOCK) {
                tx.push(i);
            }
            while rx.pop().is_some() {}
            assert_eq!(rx.blocks_allocated(), 10 + round);
        }
        // A steady trickle allocates nothing.
        for i in 0..(100 * BLOCK) {
            tx.push(i);
            assert_eq!(rx.pop(), Some(i));
        }
        assert_eq!(rx.blocks_allocated(), 13);
    }

    #[test]
    fn a_block_boundary_reached_exactly_is_crossed_later() {
        let (mut tx, mut rx) = queue(4);
        for i in 0..BLOCK {
            tx.push(i);
        }
        for i in 0..BLOCK {
            assert_eq!(rx.pop(), Some(i));
        }
        // The consumer stands at the end of a block with no link yet.
        assert!(rx.is_empty());
        tx.push(BLOCK);
        assert_eq!(rx.pop(), Some(BLOCK));
    }

    #[test]
    fn untaken_items_are_dropped_once_whoever_goes_last() {
        for consumer_first in [false, true] {
            for taken in [0, 1, BLOCK - 1, BLOCK, BLOCK + 3, 2 * BLOCK + 10] {
                let item = Tracked(Arc::new(()));
                let (mut tx, mut rx) = queue(4);
                for _ in 0..(2 * BLOCK + 10) {
                    tx.push(item.clone());
                }
                for _ in 0..taken {
                    drop(rx.pop().unwrap());
                }
                assert_eq!(Arc::strong_count(&item.0), 1 + 2 * BLOCK + 10 - taken);
                if consumer_first {
                    drop(rx);
                    drop(tx);
                } else {
                    drop(tx);
                    drop(rx);
                }
                assert_eq!(Arc::strong_count(&item.0), 1, "taken {taken}");
            }
        }
    }

    #[test]
    fn an_unused_queue_drops_cleanly() {
        let (tx, rx) = queue::<String>(4);
        drop(rx);
        drop(tx);
        let (mut tx, rx) = queue(4);
        tx.push(String::from("never taken"));
        drop(rx);
        drop(tx);
    }

    #[test]
    fn two_threads_see_every_item_in_order() {
        const N: usize = 1_000_000;
        let (mut tx, mut rx) = queue(4);
        let producer = std::thread::spawn(move || {
            for i in 0..N {
                tx.push(Box::new(i));
            }
        });
        let mut next = 0;
        while next < N {
            match rx.pop() {
                Some(v) => {
                    assert_eq!(*v, next);
                    next += 1;
                }
                None => std::hint::spin_loop(),
            }
        }
        producer.join().unwrap();
        assert!(rx.pop().is_none());
    }
}
