//! The component's memory allocator: small blocks come from a free list per power-of-two size
//! class, refilled from 64 KiB slabs; larger or over-aligned blocks go to the system allocator.
//!
//! Why not the system's: each event runs in a fresh instance that lives for one event, makes
//! thousands of small allocations (signing, JSON, the finding) and frees them all when it ends.
//! wasi-libc's dlmalloc spent a fifth of the guest's logic on them (talc and rlsf were no
//! faster: BENCHMARKS.md); a free-list pop or push is a handful of instructions. Freed blocks
//! stay in their class for the rest of the instance, which is what an instance per event wants:
//! the memory goes when the instance does.
//!
//! One trap comes with it. The host writes what it hands the component (the event text, every
//! reply's bytes, the environment) into memory from the component's `cabi_realloc`. On
//! wasm32-wasip2 that is, by default, Rust std's (a weak symbol, over the global allocator,
//! winning over wasi-libc's weak one, over `malloc`). But wasi-libc frees the lists it asks
//! for (the environment) with `free`, which must not see a block of a size class: with std's
//! `cabi_realloc` and this allocator, every event trapped in `dlfree`. So the component
//! exports its own ([`canonical_realloc`] over the system allocator, `malloc`): `free` stays
//! right, and each small block is padded to its whole size class, 16-aligned, so that when
//! Rust code frees it, the block can join its class like any other. Without that export,
//! std's comes back and every event traps; the replay tests say so at once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// The smallest block: room for the free list's link, aligned for any ordinary type.
const SMALLEST: usize = 16;
/// Blocks of 16, 32, ... 8192 bytes; anything larger goes to the system allocator.
const CLASSES: usize = 10;
const LARGEST: usize = SMALLEST << (CLASSES - 1);
/// What a class without free blocks carves new ones from; at most an eighth of it is left over
/// when a block does not fit in what remains.
const SLAB: usize = 64 * 1024;

/// Size-class allocation over another allocator (the system's in the component).
pub struct SizeClasses<A = System> {
    state: UnsafeCell<State>,
    backing: A,
}

struct State {
    /// Each class's free blocks, linked through their first word.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current slab.
    next: usize,
    end: usize,
}

// SAFETY: a wasm32 component without the atomics feature has one thread, so the state is never
// touched from two at once.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        Self::over(System)
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: GlobalAlloc> SizeClasses<A> {
    pub const fn over(backing: A) -> Self {
        Self {
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: 0,
                end: 0,
            }),
            backing,
        }
    }

    /// A block of `size` bytes from a new slab, or from what is left of the current one.
    ///
    /// # Safety
    /// Only from `alloc`, which holds the only access to the state.
    unsafe fn carve(&self, state: &mut State, size: usize) -> *mut u8 {
        if state.end - state.next < size {
            // SAFETY: SLAB is a valid, non-zero size and SMALLEST a power of two.
            let slab = unsafe {
                self.backing
                    .alloc(Layout::from_size_align_unchecked(SLAB, SMALLEST))
            };
            if slab.is_null() {
                return slab;
            }
            state.next = slab as usize;
            state.end = slab as usize + SLAB;
        }
        let block = state.next as *mut u8;
        state.next += size;
        block
    }
}

/// The class a block of this layout belongs to; `None` for the system allocator's blocks.
/// Every class's blocks are `SMALLEST`-aligned (slabs are, and sizes are multiples of it).
fn class_of(size: usize, align: usize) -> Option<usize> {
    if size > LARGEST || align > SMALLEST {
        return None;
    }
    let rounded = size.max(SMALLEST).next_power_of_two();
    Some((rounded.trailing_zeros() - SMALLEST.trailing_zeros()) as usize)
}

// SAFETY: every block of a class is `SMALLEST`-aligned and at least as large as its class
// (`class_of` rounds up), belongs to nobody else until `dealloc` takes it back, and goes back
// to the allocator it came from: `class_of` is a function of the layout, which `dealloc` and
// `realloc` receive unchanged (GlobalAlloc's contract). A small block the host filled came
// from `canonical_realloc`, padded to its whole class and aligned, so it may join the class.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout.size(), layout.align()) else {
            // SAFETY: the caller's layout, passed on.
            return unsafe { self.backing.alloc(layout) };
        };
        // SAFETY: one thread (see `Sync`), and no other reference to the state is live.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if head.is_null() {
            // SAFETY: the only access to the state, as above.
            return unsafe { self.carve(state, SMALLEST << class) };
        }
        // SAFETY: a free block's first word links to the next one (written by `dealloc`).
        state.free[class] = unsafe { head.cast::<*mut u8>().read() };
        head
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout.size(), layout.align()) else {
            // SAFETY: the block came from the backing allocator with this layout.
            return unsafe { self.backing.dealloc(block, layout) };
        };
        // SAFETY: one thread, no other reference to the state; the block is ours again and
        // at least SMALLEST bytes, aligned, so its first word can hold the link.
        unsafe {
            let state = &mut *self.state.get();
            block.cast::<*mut u8>().write(state.free[class]);
            state.free[class] = block;
        }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old, new) = (
            class_of(layout.size(), layout.align()),
            class_of(new_size, layout.align()),
        );
        match (old, new) {
            // Still fits its block: a growing Vec or String often does.
            (Some(old), Some(new)) if old == new => block,
            // SAFETY: the block came from the backing allocator with this layout, and stays
            // there at its new size.
            (None, None) => unsafe { self.backing.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees new_size, at the layout's alignment, is a
                // valid layout; the two blocks are distinct, and the old one is freed once.
                unsafe {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}

/// The `malloc` layout of a block of `len` bytes at `align` that the host fills: a small
/// block padded to its class (see [`canonical_realloc`]), anything else as asked.
fn canonical_layout(len: usize, align: usize) -> Option<Layout> {
    match class_of(len, align) {
        Some(class) => Layout::from_size_align(SMALLEST << class, SMALLEST).ok(),
        None => Layout::from_size_align(len, align).ok(),
    }
}

/// The canonical ABI's `realloc` over `backing` (wasi-libc's `malloc` in the component): a new
/// block when `old_len` is 0, else `old` moved or grown to `new_len` bytes; null when it
/// cannot. Small blocks are padded to their class, so [`SizeClasses`] may keep them once Rust
/// code frees them, while `free` can still take any of them.
///
/// # Safety
/// `old` is null with `old_len` 0, or a block this function returned for `old_len` bytes at
/// `align`; `align` is a power of two.
pub unsafe fn canonical_realloc<A: GlobalAlloc>(
    backing: &A,
    old: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    if new_len == 0 {
        if old_len != 0
            && let Some(old_layout) = canonical_layout(old_len, align)
        {
            // SAFETY: `old` came from here with this layout (the caller's promise).
            unsafe { backing.dealloc(old, old_layout) };
        }
        // The canonical ABI's empty list: a dangling, aligned pointer, never read or freed.
        return align as *mut u8;
    }
    let Some(new_layout) = canonical_layout(new_len, align) else {
        return ptr::null_mut();
    };
    if old_len == 0 {
        // SAFETY: a valid, non-zero layout.
        return unsafe { backing.alloc(new_layout) };
    }
    let Some(old_layout) = canonical_layout(old_len, align) else {
        return ptr::null_mut();
    };
    if old_layout.align() == new_layout.align() {
        // SAFETY: `old` came from here with `old_layout` (the caller's promise), and the new
        // size is non-zero.
        return unsafe { backing.realloc(old, old_layout, new_layout.size()) };
    }
    // Between a padded block and a plain one the alignment changes, which realloc cannot.
    // SAFETY: distinct blocks; `old` holds `old_len` bytes and is freed once, with its layout.
    unsafe {
        let moved = backing.alloc(new_layout);
        if !moved.is_null() {
            ptr::copy_nonoverlapping(old, moved, old_len.min(new_len));
            backing.dealloc(old, old_layout);
        }
        moved
    }
}

/// The component's `cabi_realloc`, in place of std's and wasi-libc's (see the module's
/// documentation).
///
/// # Safety
/// Called by the host as the canonical ABI says: see [`canonical_realloc`].
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    // SAFETY: the host keeps the canonical ABI's promises.
    let block = unsafe { canonical_realloc(&System, old, old_len, align, new_len) };
    if block.is_null() {
        // Out of memory while the host writes into the component: nothing can go on.
        core::arch::wasm32::unreachable();
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn sizes_round_up_to_their_class() {
        assert_eq!(class_of(1, 1), Some(0));
        assert_eq!(class_of(16, 8), Some(0));
        assert_eq!(class_of(17, 1), Some(1));
        assert_eq!(class_of(4, 16), Some(0));
        assert_eq!(class_of(LARGEST, 8), Some(CLASSES - 1));
        assert_eq!(class_of(LARGEST + 1, 8), None);
        assert_eq!(
            class_of(8, 32),
            None,
            "over-aligned blocks are the system's"
        );
    }

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class() {
        let classes = SizeClasses::new();
        unsafe {
            let a = classes.alloc(layout(24, 8));
            let b = classes.alloc(layout(30, 8));
            assert_ne!(a, b);
            classes.dealloc(a, layout(24, 8));
            assert_eq!(classes.alloc(layout(32, 4)), a, "same class: reused");
            assert_ne!(classes.alloc(layout(16, 8)), a, "another class: not");
        }
    }

    #[test]
    fn blocks_are_aligned_and_do_not_overlap() {
        let classes = SizeClasses::new();
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut seed = 0x2545_f491_u32;
        let mut random = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize % below
        };
        for step in 0..20_000 {
            if !live.is_empty() && random(3) == 0 {
                let (block, layout, fill) = live.swap_remove(random(live.len()));
                unsafe {
                    let bytes = std::slice::from_raw_parts(block, layout.size());
                    assert!(bytes.iter().all(|&b| b == fill), "a block was overwritten");
                    classes.dealloc(block, layout);
                }
                continue;
            }
            let largest = if random(10) == 0 { 3 * LARGEST } else { 300 };
            let size = 1 + random(largest);
            let layout = layout(size, [1, 2, 4, 8, 16, 64][random(6)]);
            let fill = step as u8;
            unsafe {
                let block = classes.alloc(layout);
                assert!(!block.is_null());
                assert_eq!(block as usize % layout.align(), 0);
                block.write_bytes(fill, size);
                live.push((block, layout, fill));
            }
        }
        for (block, layout, fill) in live {
            unsafe {
                assert!(
                    std::slice::from_raw_parts(block, layout.size())
                        .iter()
                        .all(|&b| b == fill)
                );
                classes.dealloc(block, layout);
            }
        }
    }

    #[test]
    fn realloc_keeps_the_contents_within_and_across_classes() {
        let classes = SizeClasses::new();
        unsafe {
            let mut block = classes.alloc(layout(20, 1));
            for i in 0..20 {
                block.add(i).write(i as u8);
            }
            let same = classes.realloc(block, layout(20, 1), 31);
            assert_eq!(same, block, "20 and 31 bytes share a class");
            let mut size = 31;
            for new_size in [100, 5000, 3 * LARGEST, 7 * LARGEST, 40, 20] {
                block = classes.realloc(block, layout(size, 1), new_size);
                let kept = std::slice::from_raw_parts(block, 20);
                assert!(kept.iter().enumerate().all(|(i, &b)| b == i as u8));
                size = new_size;
            }
            classes.dealloc(block, layout(size, 1));
        }
    }

    #[test]
    fn blocks_the_host_fills_join_their_class_when_rust_frees_them() {
        let classes = SizeClasses::new();
        unsafe {
            // The event text: written by the host, freed by Rust code as a String.
            let text = canonical_realloc(&System, ptr::null_mut(), 0, 1, 700);
            assert_eq!(text as usize % SMALLEST, 0);
            text.write_bytes(b'x', 700);
            classes.dealloc(text, layout(700, 1));
            // Handed out again as a whole block of its class (1024 bytes), which it is.
            let reused = classes.alloc(layout(1000, 8));
            assert_eq!(reused, text);
            reused.write_bytes(0, 1024);
            classes.dealloc(reused, layout(1000, 8));
        }
    }

    #[test]
    fn the_canonical_realloc_keeps_contents_and_frees_with_the_backing_allocator() {
        unsafe {
            assert_eq!(
                canonical_realloc(&System, ptr::null_mut(), 0, 8, 0),
                8 as *mut u8
            );
            let mut block = canonical_realloc(&System, ptr::null_mut(), 0, 4, 12);
            for i in 0..12 {
                block.add(i).write(i as u8);
            }
            let mut len = 12;
            for new_len in [40, 3 * LARGEST, 5 * LARGEST, 100, 12] {
                block = canonical_realloc(&System, block, len, 4, new_len);
                assert!(!block.is_null());
                let kept = std::slice::from_raw_parts(block, 12);
                assert!(kept.iter().enumerate().all(|(i, &b)| b == i as u8));
                len = new_len;
            }
            // What wasi-libc does with its own lists: free them with the backing allocator.
            System.dealloc(block, canonical_layout(len, 4).unwrap());
        }
    }
}
