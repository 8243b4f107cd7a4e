//! Path matchers and `.hgignore` patterns.
