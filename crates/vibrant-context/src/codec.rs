//! A compact binary codec for the index files: LEB128 varints, length-prefixed strings.

#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self { buf: Vec::new() }
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    pub(crate) fn ivar(&mut self, v: i64) {
        self.var(((v << 1) ^ (v >> 63)) as u64);
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.str_bytes(s.as_bytes());
    }
    pub(crate) fn str_bytes(&mut self, s: &[u8]) {
        self.var(s.len() as u64);
        self.buf.extend_from_slice(s);
    }
}

/// A decoding failure: byte offset and what was expected.
#[derive(Debug)]
pub(crate) struct DecodeError {
    pub(crate) offset: usize,
    pub(crate) reason: &'static str,
}

pub(crate) type DResult<T> = Result<T, DecodeError>;

pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
    fn err<T>(&self, reason: &'static str) -> DResult<T> {
        Err(DecodeError {
            offset: self.pos,
            reason,
        })
    }
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }
    pub(crate) fn u8(&mut self) -> DResult<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.err("unexpected end of file"),
        }
    }
    pub(crate) fn var(&mut self) -> DResult<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            if shift >= 64 {
                return self.err("varint too long");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    pub(crate) fn var32(&mut self) -> DResult<u32> {
        let v = self.var()?;
        u32::try_from(v).or_else(|_| self.err("value out of range"))
    }
    pub(crate) fn len(&mut self) -> DResult<usize> {
        let v = self.var()?;
        let n = usize::try_from(v).or_else(|_| self.err("length out of range"))?;
        // Every counted item takes at least one byte, so no count exceeds the bytes left.
        if n > self.data.len().saturating_sub(self.pos) {
            return self.err("length larger than the rest of the file");
        }
        Ok(n)
    }
    pub(crate) fn ivar(&mut self) -> DResult<i64> {
        let v = self.var()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    pub(crate) fn bytes(&mut self, n: usize) -> DResult<&'a [u8]> {
        match self.data.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => self.err("unexpected end of file"),
        }
    }
    pub(crate) fn u64(&mut self) -> DResult<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn f32(&mut self) -> DResult<f32> {
        let b = self.bytes(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(f32::from_le_bytes(a))
    }
    pub(crate) fn str(&mut self) -> DResult<&'a str> {
        let n = self.len()?;
        let start = self.pos;
        let b = self.bytes(n)?;
        std::str::from_utf8(b).map_err(|_| DecodeError {
            offset: start,
            reason: "invalid UTF-8 in a string",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let mut w = Writer::new();
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            w.var(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            w.ivar(v);
        }
        w.str("héllo");
        w.u64(42);
        w.f32(1.5);
        let mut r = Reader::new(&w.buf);
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.var().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(r.ivar().unwrap(), v);
        }
        assert_eq!(r.str().unwrap(), "héllo");
        assert_eq!(r.u64().unwrap(), 42);
        assert_eq!(r.f32().unwrap(), 1.5);
        assert!(r.at_end());
        assert!(r.u8().is_err());
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut w = Writer::new();
        w.str("hello world");
        let mut r = Reader::new(&w.buf[..5]);
        assert!(r.str().is_err());
    }
}
