"""reportgen — 12345 热线数据分析报告生成器.

Stages, each importing only from the layers below it (the contract is in pyproject.toml, ``[tool.importlinter]``,
checked by ``lint-imports`` in .ci/run)::

    cli
    schedule | preview
    batch
    publish | check
    pipeline
    inputs | notes
    render
    reports
    charts | narrative | metrics | fingerprint
    assessment | records | ranking_tables
    sources | tickets | plan
    config | periods | numbers
    provenance | yamlio | workspace | atomic
    errors
"""

__version__ = "0.1.0"
