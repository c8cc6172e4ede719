"""The Streamlit layer's shared pieces: state keys, cached loading, the sidebar. No clinical logic."""
