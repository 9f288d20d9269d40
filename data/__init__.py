"""The project's data: published targets (data/targets/), the sample-data generators (data/sample/) and what they
write (data/generated/, git-ignored).  A package only so that ``python -m data.sample`` runs from the repository
root; it is not part of the reportgen wheel."""
