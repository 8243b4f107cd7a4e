//! `hg status`: the parallel working-copy walk.
