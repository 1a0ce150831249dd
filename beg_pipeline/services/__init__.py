"""The service layer: the only way Dagster and Streamlit read and change state."""
