"""Entry point of the approval app."""

import streamlit as st

st.set_page_config(page_title="BEG — Aprovação de faturas", layout="wide")
st.title("BEG — Aprovação de faturas")
st.info("Aplicativo de aprovação em construção.")
