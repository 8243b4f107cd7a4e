//! `DirstateIdentity`: the stat fields of the dirstate file when it was read,
//! which dirstatemap.py hands to the map (keyword constructor) so a later
//! write can tell whether the file changed underneath.
use cpython::{py_class, PyResult};

/// The fields dirstatemap.py passes, in its keyword order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Identity {
    /// st_mode
    pub mode: u64,
    /// st_dev
    pub dev: u64,
    /// st_ino
    pub ino: u64,
    /// st_nlink
    pub nlink: u64,
    /// st_uid
    pub uid: u64,
    /// st_gid
    pub gid: u64,
    /// st_size
    pub size: u64,
    /// st_mtime seconds
    pub mtime: i64,
    /// st_mtime nanoseconds
    pub mtime_nsec: i64,
    /// st_ctime seconds
    pub ctime: i64,
    /// st_ctime nanoseconds
    pub ctime_nsec: i64,
}

py_class!(pub class DirstateIdentity |py| {
    data inner: Identity;

    def __new__(
        _cls,
        mode: u64, dev: u64, ino: u64, nlink: u64, uid: u64, gid: u64, size: u64,
        mtime: i64, mtime_nsec: i64, ctime: i64, ctime_nsec: i64
    ) -> PyResult<DirstateIdentity> {
        DirstateIdentity::create_instance(py, Identity {
            mode, dev, ino, nlink, uid, gid, size, mtime, mtime_nsec, ctime, ctime_nsec,
        })
    }

    @property def ino(&self) -> PyResult<u64> { Ok(self.inner(py).ino) }
    @property def size(&self) -> PyResult<u64> { Ok(self.inner(py).size) }
    @property def mtime(&self) -> PyResult<i64> { Ok(self.inner(py).mtime) }
});
