"""The Streamlit explorer of the pipeline's outputs (``streamlit run dashboard/app.py``)."""
