//! Conversion of Mercurial's Python matcher objects into hg-core matchers
//! (owned by engineer "match").
