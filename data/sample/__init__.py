"""Deterministic sample data for the reports: ``python -m data.sample {records,assessment,work,photos} [--out DIR]``.

    records      records 2021–2023 for the annual reports                      (records.py)
    assessment   the 市级考评 tables of 2023-09K / 2023-08K for the district brief  (assessment.py)
    work         records 2020 / 2019 and the 2020 ranking table, work report     (work2020.py)
    photos       the 密云区 2023-09 brief's case photos                            (photos.py)

What the reports publish is in data/targets/; what they do not print is invented, in data/sample/weights/
(one YAML file per generator).  common.py holds what the generators share.  Importing a module does nothing:
call its ``main(argv)`` or its functions.
"""
