"""The approval app (Streamlit): approvals, manual uploads, processes, registries."""
