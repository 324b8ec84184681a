"""The explorer's entry point: `streamlit run dashboard/app.py` from the repository root.

Only routes; each page lives in ``dashboard/views``.
"""

import streamlit as st

st.set_page_config(page_title="Brainstem infiltration explorer", layout="wide")
pages = [
    st.Page("views/cohort.py", title="Cohort and results", icon=":material/groups:", default=True),
    st.Page("views/patients.py", title="Patients", icon=":material/person_search:"),
    st.Page("views/training.py", title="Training", icon=":material/show_chart:"),
    st.Page("views/experiments.py", title="Experiments", icon=":material/science:"),
    st.Page("views/power.py", title="Power", icon=":material/troubleshoot:"),
]
st.navigation(pages).run()
