//! A set of the members of a small enum, as bits: the algorithms a Tencent verifier allows
//! ([`AlgorithmSet`](crate::AlgorithmSet)), the carriers a BCE verifier accepts
//! ([`Carriers`](crate::bce::Carriers)).

use core::fmt;
use core::marker::PhantomData;

/// Keeps [`Member`] to the crate's own enums: each implements `Sealed` beside its definition.
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// An enum whose members a [`Set`] holds: at most eight, each with its own bit. Implemented by
/// [`Algorithm`](crate::Algorithm) and [`Carrier`](crate::bce::Carrier) only.
pub trait Member: Copy + fmt::Debug + sealed::Sealed + 'static {
    /// Every member, in the order a set lists them.
    const MEMBERS: &'static [Self];

    /// The member's bit.
    fn bit(self) -> u8;
}

/// A set of `T`s. `Debug` lists the members.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Set<T> {
    bits: u8,
    members: PhantomData<T>,
}

impl<T> Set<T> {
    /// No member.
    pub const EMPTY: Self = Set::from_bits(0);

    /// The set of the members whose bits are set in `bits`.
    pub(crate) const fn from_bits(bits: u8) -> Self {
        Set {
            bits,
            members: PhantomData,
        }
    }
}

impl<T: Member> Set<T> {
    /// The set holding only `member`.
    pub fn only(member: T) -> Self {
        Set::from_bits(member.bit())
    }

    /// This set plus `member`.
    #[must_use]
    pub fn with(self, member: T) -> Self {
        Set::from_bits(self.bits | member.bit())
    }

    /// This set without `member`.
    #[must_use]
    pub fn without(self, member: T) -> Self {
        Set::from_bits(self.bits & !member.bit())
    }

    /// Whether `member` is in the set.
    pub fn contains(self, member: T) -> bool {
        self.bits & member.bit() != 0
    }

    /// The members, in [`Member::MEMBERS`] order.
    pub fn iter(self) -> impl Iterator<Item = T> {
        T::MEMBERS
            .iter()
            .copied()
            .filter(move |member| self.contains(*member))
    }
}

impl<T: Member> fmt::Debug for Set<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
