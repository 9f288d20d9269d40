"""reportgen — 12345 热线数据分析报告生成器.

Stages (each imports only from the ones before it)::

    errors → yamlio → config → periods → numbers → sources → records → metrics
           → narrative → charts → reports → render → cli
"""

__version__ = "0.1.0"
