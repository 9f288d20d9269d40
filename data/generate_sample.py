#!/usr/bin/env python
"""Deterministic sample records for the 2022 and 2023 Beijing 12345 annual reports.

    python data/generate_sample.py --out data/generated

writes ``records-2022.parquet``, ``records-2023.parquet`` and ``records-2023.csv`` (UTF-8) in the
records contract (DESIGN.md): one pre-aggregated row per (month, channel, disposition,
category_l1, category_l2) with its ``count``; district, street, handler_level, handler and topic
are present but null.

The published figures come from ``data/targets/annual-{2022,2023}.yaml``; everything the reports
do not print (categories 11–20 and beyond, sub-categories beyond the top five, monthly shapes,
channel and disposition splits) is invented below and listed in data/README.md.  Exact integer
totals are found by small searches so that every published figure, rounded half-up as the
reports round, comes out of group-by sums over the records; the tests check every one of them.

The data is built in stages, one function per dimension, so that later dimensions (district,
street, handler, topic) are one more split each:

    yearly totals per (category_l1, category_l2)        plan_year()
      → 12 months                                        split_months()
      → 派单 / 直接答复                                  split_disposition()
      → 电话 / 网络                                      split_channel()
"""

from __future__ import annotations

import argparse
import math
import sys
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGETS_DIR = ROOT / "data" / "targets"
TAXONOMY = ROOT / "config" / "beijing" / "taxonomy.yaml"

COLUMNS = ("month", "channel", "disposition", "category_l1", "category_l2", "district", "street",
           "handler_level", "handler", "topic", "count")
LATER_COLUMNS = ("district", "street", "handler_level", "handler", "topic")   # null for now
UNIT = 10_000                     # 1 万
MONTHS = 12
DISPATCHED, DIRECT = "派单", "直接答复"
PHONE, NETWORK = "电话", "网络"

# =============================================================================================
# Invented values (data/README.md, "Invented values").  Amounts are 万 (nominal: the exact
# integers are scaled from them so that the published totals hold).
# =============================================================================================

# Sub-categories beyond each published top five, per year and category (each < the 5th).
EXTRA_L2: dict[int, dict[str, list[tuple[str, float]]]] = {
    2023: {
        "市场管理": [("广告宣传", 3.6), ("价格收费", 3.3), ("其他", 2.5)],
        "社会培训机构": [("培训质量", 0.45), ("违规办学", 0.38), ("收费管理", 0.28), ("其他", 0.19)],
        "住房": [("商品房", 8.6), ("老楼改造", 8.2), ("公租房", 6.1), ("房屋租赁", 5.3), ("保障性住房", 4.5), ("其他", 3.7)],
        "劳动和社会保障": [("职业培训", 1.8), ("就业服务", 1.7), ("人事人才", 1.2), ("劳动保护", 0.6), ("其他", 0.5)],
        "交通管理": [("出租车", 5.9), ("交通事故", 5.1), ("车驾管业务", 4.6), ("共享单车", 3.2), ("其他", 2.3)],
        "公共服务": [("快递", 4.6), ("燃气", 4.1), ("有线电视", 2.3), ("长途客运", 1.6), ("其他", 2.5)],
        "城乡建设": [("其他", 0.6)],
        "社会秩序": [("出入境", 1.1), ("其他", 0.7)],
        "农村管理": [("农村建设", 3.6), ("土地承包", 3.2), ("集体经济", 2.4), ("农业生产", 1.2), ("其他", 0.9)],
        "文体市场管理": [],
    },
    2022: {
        "市场管理": [("广告宣传", 1.9), ("价格收费", 1.6), ("其他", 1.4)],
        "住房": [("房屋权属", 5.0), ("老楼改造", 4.8), ("公租房", 4.3), ("房屋租赁", 3.6), ("保障性住房", 2.4), ("其他", 1.5)],
        "城乡建设": [("其他", 0.5)],
        "社会秩序": [("其他", 0.3)],
        # 教育: 在线教育 and 职业技能培训 make up what 社会培训机构 2022 needs beyond 社会办学 (plan_education_2022)
        "教育": [("在线教育", 0.55), ("职业技能培训", 0.45)],
        "劳动和社会保障": [("工伤及职业病", 1.3), ("就业服务", 1.2), ("人事人才", 0.9), ("其他", 0.7)],
        "公共服务": [("轨道交通", 3.1), ("燃气", 2.5), ("有线电视", 1.4), ("长途客运", 0.8), ("其他", 1.1)],
        "交通管理": [("出租车", 2.2), ("交通事故", 2.0), ("车驾管业务", 1.9), ("共享单车", 1.5), ("其他", 1.2)],
        "农村管理": [("邻里纠纷", 2.1), ("土地承包", 1.8), ("集体经济", 1.4), ("农业生产", 0.9), ("其他", 0.7)],
        "物业管理": [("其他", 0.4)],
    },
}

# Categories 11–20 (the seeds name some of them, never their values), in order.
TOP11_20: dict[int, list[tuple[str, float]]] = {
    2023: [("物业管理", 48.6), ("市容环卫", 44.1), ("公共安全", 39.5), ("卫生健康", 36.2), ("市政", 33.0),
           ("教育", 31.4), ("环境保护", 30.2), ("供暖", 28.3), ("金融财税", 25.6), ("企业服务", 23.9)],
    2022: [("市政", 24.8), ("市容环卫", 23.5), ("环境保护", 22.1), ("卫生健康", 20.6), ("公共安全", 18.7),
           ("供暖", 17.9), ("企业服务", 16.2), ("社会治安", 14.8), ("金融财税", 13.5), ("民政", 12.6)],
}

# Categories after the 20th, in order; their amounts fall linearly between the two bounds (万)
# and are scaled to what the total leaves (2023) or to TAIL_TOTAL_2022 (2022).
TAIL: dict[int, list[str]] = {
    2023: ["社会治安", "民政", "医疗保障", "政务服务", "新型冠状病毒肺炎疫情", "水务", "园林绿化", "养老服务",
           "食品药品安全", "旅游", "应急管理", "司法服务", "商务服务", "自然资源", "安全生产", "退役军人事务",
           "残疾人服务", "知识产权", "计划生育", "气象服务", "文物保护", "民族宗教", "人防工程", "统计调查",
           "网络安全", "热线服务", "表扬感谢", "综合执法", "动物防疫", "妇女儿童权益", "青少年服务", "科技创新",
           "外事服务", "其他"],
    2022: ["医疗保障", "政务服务", "水务", "园林绿化", "养老服务", "食品药品安全", "旅游", "应急管理", "司法服务",
           "商务服务", "自然资源", "安全生产", "退役军人事务", "残疾人服务", "知识产权", "计划生育", "气象服务",
           "文物保护", "民族宗教", "人防工程", "统计调查", "网络安全", "热线服务", "表扬感谢", "综合执法", "动物防疫",
           "妇女儿童权益", "青少年服务", "科技创新", "外事服务", "其他"],
}
TAIL_BOUNDS = {2023: (22.8, 12.3), 2022: (12.2, 5.0)}
TAIL_TOTAL_2022 = 266.6           # 万; 2022 日常 total ≈ 971.5 万 with the top 20 and 文体市场管理

# 2022 epidemic-related categories besides 新型冠状病毒肺炎疫情 (README, contradiction 5): they take
# what the total leaves after 疫情 and the 日常 categories, in these proportions.
EPIDEMIC_EXTRA_2022 = [("健康宝", 0.45), ("核酸检测", 0.34), ("隔离管控", 0.21)]
EPIDEMIC_TILT_2022 = {   # monthly tilt against the epidemic volume of the month
    "健康宝": [0.8, 0.8, 0.9, 1.1, 1.2, 1.2, 1.1, 1.1, 1.0, 1.0, 0.9, 0.7],
    "核酸检测": [0.6, 0.6, 0.8, 1.1, 1.2, 1.2, 1.1, 1.1, 1.1, 1.0, 1.1, 0.9],
    "隔离管控": [0.8, 0.8, 1.0, 1.2, 1.3, 1.0, 0.9, 0.9, 1.0, 1.1, 1.2, 0.8],
}
# 2022 monthly totals (万) of the months the report does not print; 1月 and 10月 are targets and
# 12月 takes the rest.
MONTH_TOTALS_2022 = {2: 226.0, 3: 388.0, 4: 560.0, 5: 820.0, 6: 590.0, 7: 430.0, 8: 470.0, 9: 610.0, 11: 900.0}

# Sub-category mix of every category whose sub-categories are not published (weights).
L2_MIX: dict[str, list[tuple[str, float]]] = {
    "物业管理": [("物业服务不规范", 58), ("小区停车秩序管理", 15), ("小区安保问题", 8), ("物业收费问题", 7),
             ("业主大会及业委会", 6), ("其他", 6)],
    "市容环卫": [("垃圾清运", 30), ("公共区域环境秩序", 25), ("环卫设施", 15), ("扫雪铲冰", 12), ("街巷环境", 10), ("其他", 8)],
    "公共安全": [("消防安全", 40), ("燃气安全", 20), ("安全隐患", 18), ("电动自行车充电", 12), ("其他", 10)],
    "卫生健康": [("医疗服务", 45), ("疾病预防控制", 18), ("卫生监督", 14), ("医疗纠纷", 13), ("其他", 10)],
    "市政": [("路灯照明", 22), ("区属道路", 20), ("市属道路", 18), ("排水设施", 16), ("井盖", 12), ("其他", 12)],
    "教育": [("入学升学", 36), ("教务管理", 28), ("学前教育", 14), ("教职人员管理", 9), ("校园安全", 7),
           ("学生资助", 3), ("其他", 3)],
    "环境保护": [("噪声污染", 38), ("大气污染", 22), ("油烟污染", 12), ("水污染", 12), ("辐射", 4), ("其他", 12)],
    "供暖": [("供暖不热", 55), ("供暖收费", 15), ("供暖设施", 15), ("停暖", 8), ("其他", 7)],
    "金融财税": [("银行服务", 30), ("税务", 22), ("保险", 18), ("非法集资", 12), ("证券基金", 8), ("其他", 10)],
    "企业服务": [("营商环境", 30), ("企业登记", 22), ("惠企政策", 20), ("企业融资", 12), ("其他", 16)],
    "社会治安": [("治安隐患", 40), ("扰民", 25), ("诈骗", 20), ("其他", 15)],
    "民政": [("社会救助", 35), ("婚姻登记", 15), ("殡葬服务", 15), ("社区建设", 13), ("社会组织", 12), ("其他", 10)],
    "医疗保障": [("医保支付及报销", 50), ("医保参保", 25), ("医保卡", 15), ("其他", 10)],
    "政务服务": [("办事指南", 45), ("证照办理", 30), ("政务服务效率", 15), ("其他", 10)],
    "新型冠状病毒肺炎疫情": [("防疫政策", 45), ("社区村日常防控", 30), ("复工复产", 15), ("其他", 10)],
    "水务": [("排水", 40), ("河湖管理", 25), ("防汛", 20), ("其他", 15)],
    "园林绿化": [("树木修剪", 40), ("公园管理", 30), ("绿地养护", 20), ("其他", 10)],
    "养老服务": [("养老机构", 40), ("居家养老", 30), ("养老补贴", 20), ("其他", 10)],
    "食品药品安全": [("食品安全", 50), ("餐饮服务", 25), ("药品安全", 15), ("其他", 10)],
    "旅游": [("景区管理", 45), ("旅行社", 30), ("导游", 15), ("其他", 10)],
    "应急管理": [("防汛救灾", 45), ("灾害救助", 25), ("应急避难", 20), ("其他", 10)],
    "司法服务": [("法律援助", 45), ("人民调解", 30), ("公证", 15), ("其他", 10)],
    "商务服务": [("商业网点", 45), ("再生资源回收", 25), ("成品油", 20), ("其他", 10)],
    "自然资源": [("不动产登记", 55), ("土地管理", 25), ("测绘", 10), ("其他", 10)],
    "安全生产": [("生产安全隐患", 50), ("特种设备", 25), ("危险化学品", 15), ("其他", 10)],
    "退役军人事务": [("退役军人待遇", 55), ("优抚安置", 35), ("其他", 10)],
    "残疾人服务": [("残疾人补贴", 45), ("无障碍设施", 30), ("残疾证办理", 15), ("其他", 10)],
    "知识产权": [("商标", 50), ("专利", 40), ("其他", 10)],
    "计划生育": [("生育登记", 55), ("计生奖励", 35), ("其他", 10)],
    "气象服务": [("天气预报", 55), ("气象灾害", 35), ("其他", 10)],
    "文物保护": [("文物管理", 55), ("历史建筑", 35), ("其他", 10)],
    "民族宗教": [("宗教活动场所", 55), ("民族政策", 35), ("其他", 10)],
    "人防工程": [("地下空间", 55), ("人防工程使用", 35), ("其他", 10)],
    "统计调查": [("人口抽样调查", 50), ("经济普查", 40), ("其他", 10)],
    "网络安全": [("网络诈骗", 40), ("个人信息保护", 35), ("不良信息", 15), ("其他", 10)],
    "热线服务": [("热线业务咨询", 55), ("热线服务质量", 35), ("其他", 10)],
    "表扬感谢": [("表扬", 60), ("感谢", 40)],
    "综合执法": [("执法检查", 55), ("执法行为", 35), ("其他", 10)],
    "动物防疫": [("流浪动物", 55), ("动物疫病", 35), ("其他", 10)],
    "妇女儿童权益": [("儿童权益", 50), ("妇女权益", 40), ("其他", 10)],
    "青少年服务": [("青少年权益", 55), ("青少年活动", 35), ("其他", 10)],
    "科技创新": [("科技项目", 55), ("高新技术企业", 35), ("其他", 10)],
    "外事服务": [("外籍人员", 55), ("涉外事务", 35), ("其他", 10)],
    "文体市场管理": [("文化市场", 70), ("体育市场", 12), ("广播电视", 10), ("其他", 5), ("科技", 3)],
    "其他": [("其他", 100)],
    "健康宝": [("弹窗解除", 45), ("健康状态异常", 25), ("信息核验", 20), ("其他", 10)],
    "核酸检测": [("检测点设置", 35), ("检测结果查询", 35), ("检测服务", 20), ("其他", 10)],
    "隔离管控": [("居家隔离", 30), ("集中隔离", 25), ("封控管控区管理", 20), ("进返京政策", 15), ("其他", 10)],
}

# Monthly shapes.  SERIES: hand-drawn series (万) for the sub-categories the trend sentences
# describe; the printed monthly values (targets) are pinned exactly and the other months are
# scaled to the exact yearly total.
SERIES: dict[tuple[int, str, str], list[float]] = {
    # 2023
    (2023, "市场管理", "网络交易"): [14.6, 15.2, 17.4, 18.0, 18.8, 21.8, 26.0, 22.4, 19.8, 18.6, 20.0, 18.9],
    (2023, "社会培训机构", "线上退费纠纷"): [3.5, 3.8, 4.2, 5.0, 8.5, 10.2, 11.0, 11.5, 12.0, 13.0, 14.5, 16.5],
    (2023, "社会培训机构", "门店关闭退费纠纷"): [2.4, 3.0, 3.6, 3.1, 2.6, 2.3, 2.0, 1.8, 1.7, 1.5, 1.4, 1.2],
    (2023, "住房", "小区配套"): [2.4, 2.6, 3.1, 3.6, 3.3, 4.0, 4.6, 4.2, 3.5, 3.7, 3.0, 2.7],
    (2023, "住房", "房屋修缮"): [1.0, 0.9, 1.1, 1.2, 1.4, 1.7, 2.2, 2.9, 1.9, 1.5, 1.3, 1.1],
    (2023, "劳动和社会保障", "薪酬纠纷"): [6.1, 4.2, 4.6, 4.4, 4.5, 4.7, 4.3, 4.4, 4.5, 4.3, 5.1, 6.8],
    (2023, "交通管理", "停车管理"): [2.2, 2.3, 2.7, 2.40, 2.36, 2.33, 2.38, 2.35, 2.31, 2.37, 2.34, 2.39],
    (2023, "交通管理", "互联网约车"): [0.70, 0.78, 0.88, 0.95, 1.05, 1.12, 1.20, 1.28, 1.36, 1.45, 1.55, 1.70],
    (2023, "交通管理", "违章处理"): [0.60, 0.65, 0.70, 0.75, 0.80, 0.86, 0.95, 1.05, 1.15, 1.28, 1.42, 1.90],
    (2023, "公共服务", "网络与通讯"): [1.8, 1.7, 2.1, 2.0, 2.3, 2.2, 2.6, 2.5, 2.8, 2.6, 3.0, 3.1],
    (2023, "公共服务", "公交"): [1.0, 1.02, 1.08, 1.1, 1.12, 1.09, 1.11, 1.6, 1.3, 1.2, 1.18, 1.4],
    (2023, "公共服务", "供水"): [0.9, 0.88, 0.95, 1.0, 0.98, 1.05, 1.1, 1.6, 1.15, 1.02, 0.95, 1.12],
    (2023, "公共服务", "供电"): [0.45, 0.40, 0.42, 0.45, 0.55, 0.85, 1.05, 0.95, 0.60, 0.48, 0.50, 0.70],
    (2023, "社会秩序", "经济纠纷"): [3.9, 3.6, 4.1, 4.0, 4.2, 4.3, 4.4, 4.3, 4.2, 4.3, 4.4, 4.5],
    (2023, "社会秩序", "宠物管理"): [0.30, 0.29, 0.31, 0.32, 0.33, 0.33, 0.32, 0.33, 0.32, 0.40, 0.33, 0.32],
    (2023, "农村管理", "村务工作"): [1.2, 1.6, 1.9, 2.2, 2.35, 2.36, 2.34, 2.37, 2.33, 2.35, 2.36, 2.34],
    (2023, "农村管理", "农村基础设施"): [0.6, 0.55, 0.65, 0.7, 0.8, 0.9, 1.3, 1.0, 0.8, 0.75, 0.74, 0.71],
    (2023, "文体市场管理", "文化市场"): [1.8, 2.0, 2.4, 2.8, 3.1, 3.6, 4.3, 6.3, 7.2, 6.1, 5.4, 6.0],
    # 2022
    (2022, "市场管理", "网络交易"): [3.8, 3.6, 3.9, 3.7, 3.9, 5.2, 6.0, 6.6, 5.4, 4.6, 4.1, 7.4],
    (2022, "住房", "小区配套"): [1.5, 1.3, 1.7, 1.6, 1.9, 2.1, 2.3, 2.6, 2.0, 1.9, 1.7, 1.9],
    (2022, "住房", "房屋修缮"): [0.6, 0.55, 0.65, 0.7, 0.8, 1.1, 1.3, 1.35, 1.15, 0.7, 0.6, 0.6],
    (2022, "社会秩序", "经济纠纷"): [2.2, 2.0, 2.4, 2.6, 4.4, 5.6, 4.3, 4.0, 3.7, 3.6, 3.5, 3.8],
    (2022, "教育", "社会办学"): [1.5, 1.4, 1.8, 2.0, 2.3, 2.5, 2.8, 3.0, 3.3, 3.8, 5.1, 4.6],
    (2022, "教育", "入学升学"): [0.3, 0.3, 0.35, 0.4, 0.7, 0.85, 0.75, 0.45, 0.4, 0.35, 0.35, 0.3],
    (2022, "教育", "教务管理"): [0.28, 0.25, 0.3, 0.3, 0.32, 0.52, 0.33, 0.3, 0.38, 0.34, 0.55, 0.33],
    (2022, "劳动和社会保障", "薪酬纠纷"): [2.8, 1.4, 1.5, 1.5, 1.6, 1.5, 1.5, 1.6, 1.5, 1.6, 1.6, 3.6],
    (2022, "劳动和社会保障", "职业培训"): [0.3, 0.28, 0.3, 0.32, 0.3, 0.33, 0.32, 0.31, 0.33, 0.35, 0.55, 0.31],
    (2022, "公共服务", "供电"): [0.25, 0.22, 0.24, 0.26, 0.3, 0.45, 0.52, 0.62, 0.45, 0.32, 0.36, 0.41],
    (2022, "公共服务", "快递"): [0.3, 0.28, 0.3, 0.32, 0.35, 0.3, 0.29, 0.3, 0.31, 0.33, 0.35, 0.77],
    (2022, "交通管理", "停车管理"): [0.95, 0.9, 1.0, 0.98, 1.05, 1.1, 1.15, 1.25, 1.5, 1.3, 1.1, 0.92],
    (2022, "交通管理", "缓堵措施"): [0.32, 0.3, 0.33, 0.34, 0.48, 0.35, 0.34, 0.35, 0.33, 0.36, 0.37, 0.53],
    (2022, "农村管理", "村民自治"): [0.95, 0.9, 1.0, 1.1, 0.95, 0.9, 0.85, 0.88, 0.8, 0.75, 0.72, 0.7],
    (2022, "农村管理", "农村基础设施"): [0.45, 0.4, 0.5, 0.48, 0.55, 0.6, 0.9, 0.85, 0.6, 0.52, 0.5, 0.45],
    (2022, "物业管理", "物业服务不规范"): [1.2, 1.1, 1.35, 1.3, 1.45, 1.5, 1.6, 1.9, 1.6, 1.4, 1.3, 1.2],
}
# A shape shared by every sub-category of a category (the sentence describes the category).
L1_PROFILE: dict[tuple[int, str], list[float]] = {
    (2023, "城乡建设"): [0.55, 0.66, 0.80, 0.95, 1.12, 1.18, 1.22, 1.16, 1.10, 0.98, 0.90, 0.80],
    (2022, "城乡建设"): [0.66, 0.58, 0.80, 0.92, 1.02, 1.20, 1.26, 1.24, 1.16, 0.98, 0.90, 0.82],
}
# Styles for the other sub-categories of a described category.
RAMP = [0.72 + 0.05 * i for i in range(MONTHS)]                       # "呈上升趋势"
ZIGZAG = [1.0 + (0.10 if i % 2 else -0.10) for i in range(MONTHS)]   # "波动较大"
L1_STYLE: dict[tuple[int, str], list[float]] = {(2023, "市场管理"): RAMP, (2022, "市场管理"): ZIGZAG}
# Mild seasonality of the remaining categories.
SEASON: dict[str, list[float]] = {
    "供暖": [2.4, 1.7, 1.0, 0.35, 0.2, 0.2, 0.2, 0.2, 0.25, 0.6, 2.5, 2.9],
    "市容环卫": [1.0, 0.9, 0.95, 1.0, 1.05, 1.1, 1.1, 1.1, 1.0, 0.95, 0.95, 1.15],
    "环境保护": [0.8, 0.75, 0.9, 1.0, 1.1, 1.2, 1.25, 1.2, 1.05, 0.95, 0.9, 0.85],
    "园林绿化": [0.7, 0.7, 0.9, 1.2, 1.3, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.8],
    "旅游": [0.8, 1.0, 0.8, 0.9, 1.3, 1.0, 1.3, 1.3, 1.0, 1.3, 0.7, 0.6],
    "教育": [0.8, 0.7, 0.9, 0.9, 1.3, 1.2, 1.1, 1.0, 1.4, 1.0, 0.9, 0.8],
    "卫生健康": [1.4, 0.9, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95, 1.0, 1.1, 1.3],
    "应急管理": [0.8, 0.8, 0.8, 0.9, 0.9, 1.1, 1.6, 1.5, 0.9, 0.8, 0.8, 1.1],
    "水务": [0.8, 0.8, 0.9, 0.9, 1.0, 1.2, 1.5, 1.4, 1.0, 0.9, 0.8, 0.8],
    "新型冠状病毒肺炎疫情": [10, 3, 1.5, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.5, 0.5, 0.6],
}
TREND = {   # overall level of 日常 categories through the year
    2023: [0.92, 0.89, 0.96, 0.97, 1.0, 1.02, 1.05, 1.06, 1.03, 1.01, 1.03, 1.05],
    2022: [0.95, 0.88, 1.0, 0.98, 0.92, 1.04, 1.08, 1.1, 1.05, 1.0, 0.94, 0.98],
}
NOISE = 0.04

# Share dispatched (派单) per category.  The top 20 are fixed so that the two published share
# orderings hold; every other category starts from DISPATCH_BASE and is scaled so that the total
# 派单 is exact.
DISPATCH: dict[int, dict[str, float]] = {
    2023: {"市容环卫": .95, "物业管理": .93, "公共安全": .91, "供暖": .89, "环境保护": .87, "市政": .85,
           "城乡建设": .82, "住房": .80, "农村管理": .78, "公共服务": .75, "交通管理": .72, "市场管理": .60,
           "教育": .55, "企业服务": .52, "卫生健康": .50, "社会培训机构": .40, "文体市场管理": .35,
           "金融财税": .30, "劳动和社会保障": .25, "社会秩序": .20},
    2022: {"物业管理": .95, "公共安全": .93, "市政": .91, "市容环卫": .89, "供暖": .87, "环境保护": .84,
           "城乡建设": .82, "住房": .80, "农村管理": .78, "公共服务": .74, "交通管理": .72, "市场管理": .60,
           "教育": .58, "卫生健康": .55, "民政": .50, "金融财税": .34, "社会治安": .30, "企业服务": .26,
           "劳动和社会保障": .22, "社会秩序": .18},
}
DISPATCH_BASE = {"政务服务": .10, "热线服务": .12, "新型冠状病毒肺炎疫情": .08, "健康宝": .04, "核酸检测": .06,
                 "隔离管控": .10, "园林绿化": .70, "水务": .65, "综合执法": .70, "动物防疫": .55, "表扬感谢": .20}
DISPATCH_DEFAULT = .35

# Network share per month, and per-category factors (all scaled so that the 网络 total is exact).
NETWORK_SHARE = {
    2023: [0.160, 0.162, 0.165, 0.168, 0.170, 0.172, 0.175, 0.178, 0.180, 0.182, 0.184, 0.186],
    2022: [0.14, 0.16, 0.26, 0.40, 0.48, 0.50, 0.52, 0.55, 0.60, 0.66, 0.66, 0.64],
}
NETWORK_FACTOR = {
    2023: {"市场管理": 1.35, "社会培训机构": 1.25, "文体市场管理": 1.2, "金融财税": 1.1},
    2022: {"健康宝": 1.15, "核酸检测": 1.1, "新型冠状病毒肺炎疫情": 1.0, "隔离管控": 1.0},
}
NETWORK_FACTOR_DEFAULT = {2023: 1.0, 2022: 0.7}

# =============================================================================================
# Exact arithmetic (half-up, as the reports round)
# =============================================================================================


def q(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def wan(count: int, places: int = 1) -> Decimal:
    return (Decimal(count) / UNIT).quantize(q(places), ROUND_HALF_UP)


def pct(part: int, whole: int, places: int = 1) -> Decimal:
    return (Decimal(part) / Decimal(whole) * 100).quantize(q(places), ROUND_HALF_UP)


def yoy(cur: int, prev: int, places: int = 1) -> Decimal:
    return ((Decimal(cur) / Decimal(prev) - 1) * 100).quantize(q(places), ROUND_HALF_UP)


def center(text: str) -> int:
    """The count that prints exactly as ``text`` 万."""
    return int(Decimal(text) * UNIT)


def wan_range(text: str, places: int = 1) -> range:
    """All counts that print as ``text`` 万 (half-up)."""
    half = Decimal(5).scaleb(-places - 1)
    lo = math.ceil((Decimal(text) - half) * UNIT)
    hi = math.ceil((Decimal(text) + half) * UNIT)
    return range(lo, hi)


def nominal(x: float) -> int:
    return int((Decimal(str(x)) * UNIT).to_integral_value(ROUND_HALF_UP))


def solve_pair(cur_range: range, cur_c: int, yoy_text: str, places: int,
               prev_range: range | None = None, prev_c: int | None = None) -> tuple[int, int]:
    """(cur, prev) in their ranges, closest to their centres, whose 同比 prints as ``yoy_text``."""
    t = Decimal(yoy_text)
    half = Decimal(5).scaleb(-places - 1)
    lo_ratio, hi_ratio = 1 + (t - half) / 100, 1 + (t + half) / 100   # cur / prev in [lo, hi)
    best: tuple[int, int, int] | None = None
    for cur in sorted(cur_range, key=lambda x: (abs(x - cur_c), x)):
        if best is not None and abs(cur - cur_c) > best[0]:
            break
        p_lo, p_hi = int(Decimal(cur) / hi_ratio) - 2, int(Decimal(cur) / lo_ratio) + 2
        want = prev_c if prev_c is not None else int(Decimal(cur) / (1 + t / 100))
        if prev_range is not None:
            p_lo, p_hi = max(p_lo, prev_range.start), min(p_hi, prev_range.stop - 1)
        cands = [p for p in range(p_lo, p_hi + 1) if p > 0 and yoy(cur, p, places) == t]
        if not cands:
            continue
        p = min(cands, key=lambda x: (abs(x - want), x))
        cost = abs(cur - cur_c) + abs(p - want)
        if best is None or cost < best[0]:
            best = (cost, cur, p)
    if best is None:
        raise SystemExit(f"no exact pair for 同比 {yoy_text}% in {cur_range}")
    return best[1], best[2]


def fit_parts(values: list[int], ranges: list[range], target: int) -> list[int]:
    """Move ``values`` (strictly decreasing) inside their ranges until they sum to ``target``."""
    vals = list(values)
    step = 1 if target > sum(vals) else -1
    i = 0
    guard = 0
    while sum(vals) != target:
        k = i % len(vals)
        nxt = vals[k] + step
        ok_range = nxt in ranges[k]
        ok_order = (k == 0 or nxt < vals[k - 1]) and (k == len(vals) - 1 or nxt > vals[k + 1])
        if ok_range and ok_order:
            vals[k] = nxt
            guard = 0
        else:
            guard += 1
            if guard > len(vals):
                raise SystemExit(f"cannot fit {values} to {target}")
        i += 1
    return vals


def strict_top5(top5: list[list[str]]) -> list[int]:
    """Exact counts of a published top five: the printed values, ties split by ±150."""
    vals = [center(v) for _, v in top5]
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[i]:
            j += 1
        k = j - i + 1
        step = 300 if k == 2 else 200          # two equal values: +150 / −150; three: +200 / 0 / −200
        for n, idx in enumerate(range(i, j + 1)):
            vals[idx] += int(step * ((k - 1) / 2 - n))
        i = j + 1
    return vals


def allocate(total: int, weights, caps=None) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder), each ≤ cap."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    caps = np.full(n, max(int(total), 0), dtype=np.int64) if caps is None else np.asarray(caps, np.int64)
    out = np.zeros(n, dtype=np.int64)
    free = w > 0
    rem = int(total)
    if rem < 0 or (rem > 0 and not free.any()):
        raise SystemExit(f"cannot allocate {total}")
    if rem > int(caps[free].sum()):
        raise SystemExit(f"cannot allocate {total} under caps {int(caps[free].sum())}")
    while True:
        x = np.zeros(n)
        x[free] = rem * w[free] / w[free].sum()
        over = free & (x > caps)
        if not over.any():
            break
        out[over] = caps[over]
        rem -= int(caps[over].sum())
        free &= ~over
    base = np.floor(x).astype(np.int64)
    short = rem - int(base[free].sum())
    frac = np.where(free & (base < caps), x - base, -1.0)
    order = np.lexsort((np.arange(n), -frac))[:short]
    base[order] += 1
    out[free] = base[free]
    assert int(out.sum()) == total and (out <= caps).all()
    return out


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode("utf-8")))


# =============================================================================================
# Inputs
# =============================================================================================


def load_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass
class Inputs:
    t22: dict
    t23: dict
    taxonomy: dict

    @property
    def remap_rules(self) -> list[dict]:
        return [rule for remap in self.taxonomy.get("remaps", []) for rule in remap["map"]]

    def remapped_l1(self, l1: str, l2: str) -> str:
        for rule in self.remap_rules:
            f = rule["from"]
            if f.get("category_l1", l1) == l1 and f.get("category_l2", l2) == l2:
                return rule["to"]["category_l1"]
        return l1


def load_inputs(targets_dir: Path = TARGETS_DIR, taxonomy: Path = TAXONOMY) -> Inputs:
    return Inputs(load_yaml(targets_dir / "annual-2022.yaml"), load_yaml(targets_dir / "annual-2023.yaml"),
                  load_yaml(taxonomy))


# =============================================================================================
# Stage 1: yearly totals per (category_l1, category_l2)
# =============================================================================================


@dataclass
class YearPlan:
    year: int
    totals: dict[str, int] = field(default_factory=dict)                    # l1 -> count
    subs: dict[str, dict[str, int]] = field(default_factory=dict)           # l1 -> l2 -> count
    headline: dict[str, int] = field(default_factory=dict)                  # total, 派单, 直接答复, 电话, 网络
    epidemic: list[str] = field(default_factory=list)                       # categories filled last (2022)


def solve_headline(inp: Inputs) -> tuple[dict[str, int], dict[str, int]]:
    """Exact totals: 2022 first (its own shares), then 2023 (shares and 同比 against 2022)."""
    t22, t23 = inp.t22, inp.t23
    p22, p23 = t22["precision"]["pct"], t23["precision"]["pct"]
    offsets = sorted(range(-450, 451, 50), key=abs)

    def disposition(t: dict, prev: dict | None, places: int) -> dict[str, int]:
        d_t, a_t = t["disposition"][DISPATCHED], t["disposition"][DIRECT]
        for dd in offsets:
            for da in offsets:
                d, a = center(d_t["wan"]) + dd, center(a_t["wan"]) + da
                tot = d + a
                checks = [wan(d) == Decimal(d_t["wan"]), wan(a) == Decimal(a_t["wan"]),
                          wan(tot) == Decimal(t["total"]["wan"])]
                for key, part in ((DISPATCHED, d), (DIRECT, a)):
                    spec = t["disposition"][key]
                    if "share_pct" in spec:
                        checks.append(pct(part, tot, places) == Decimal(spec["share_pct"]))
                    if prev is not None and "yoy_pct" in spec:
                        checks.append(yoy(part, prev[key], places) == Decimal(spec["yoy_pct"]))
                if prev is not None and "yoy_pct" in t["total"]:
                    checks.append(yoy(tot, prev["total"], places) == Decimal(t["total"]["yoy_pct"]))
                if all(checks):
                    return {"total": tot, DISPATCHED: d, DIRECT: a}
        raise SystemExit(f"no exact headline for {t['year']}")

    def channels(t: dict, tot: int, places: int) -> dict[str, int]:
        for dp in sorted(range(-499, 500), key=abs):
            p = center(t["channel"][PHONE]["wan"]) + dp
            n = tot - p
            checks = [wan(p) == Decimal(t["channel"][PHONE]["wan"]), wan(n) == Decimal(t["channel"][NETWORK]["wan"])]
            for key, part in ((PHONE, p), (NETWORK, n)):
                if "share_pct" in t["channel"][key]:
                    checks.append(pct(part, tot, places) == Decimal(t["channel"][key]["share_pct"]))
            if all(checks):
                return {PHONE: p, NETWORK: n}
        raise SystemExit(f"no exact channel split for {t['year']}")

    h22 = disposition(t22, None, p22)
    h22.update(channels(t22, h22["total"], p22))
    h23 = disposition(t23, h22, p23)
    h23.update(channels(t23, h23["total"], p23))
    return h22, h23


def published_subs(top: dict, extras: list[tuple[str, float]], total: int) -> dict[str, int]:
    """A published category: its top five as printed, the rest spread over invented sub-categories."""
    names = [n for n, _ in top["top5"]]
    vals = strict_top5(top["top5"])
    if not extras:
        vals = fit_parts(vals, [wan_range(v) for _, v in top["top5"]], total)
        return dict(zip(names, vals))
    rest = total - sum(vals)
    extra_vals = allocate(rest, [w for _, w in extras])
    if not (extra_vals < vals[-1]).all() or not (extra_vals > 0).all():
        raise SystemExit(f"{top['l1']}: invented sub-categories {extra_vals} not below the 5th ({vals[-1]})")
    return dict(zip(names, vals)) | {n: int(v) for (n, _), v in zip(extras, extra_vals)}


def plan_years(inp: Inputs) -> dict[int, YearPlan]:
    t22, t23 = inp.t22, inp.t23
    h22, h23 = solve_headline(inp)
    y22, y23 = YearPlan(2022, headline=h22), YearPlan(2023, headline=h23)
    top22 = {e["l1"]: e for e in t22["top10"]}
    places23 = t23["precision"]["pct"]

    # --- 2023 top 10 and the 2022 values their 同比 compares with -------------------------------
    prev_remapped: dict[str, int] = {}        # 2022 values after the remaps, for categories they touch
    remap_targets = {rule["to"]["category_l1"] for rule in inp.remap_rules}
    for e in t23["top10"]:
        l1 = e["l1"]
        rng = wan_range(e["wan"])
        if not EXTRA_L2[2023].get(l1):       # the top five are all there is: the total follows them
            fixed = sum(fit_parts(strict_top5(e["top5"]), [wan_range(v) for _, v in e["top5"]],
                                  min(max(center(e["wan"]), rng.start), rng.stop - 1)))
            rng = range(fixed, fixed + 1)
        if l1 in top22 and l1 not in remap_targets:
            cur, prev = solve_pair(rng, center(e["wan"]), e["yoy_pct"], places23,
                                   wan_range(top22[l1]["wan"]), center(top22[l1]["wan"]))
            y22.totals[l1] = prev
        else:
            cur, prev = solve_pair(rng, center(e["wan"]), e["yoy_pct"], places23)
            if l1 in remap_targets:
                prev_remapped[l1] = prev
            else:
                y22.totals[l1] = prev        # e.g. 文体市场管理: a small 2022 category
        y23.totals[l1] = cur
        y23.subs[l1] = published_subs(e, EXTRA_L2[2023].get(l1, []), cur)

    # --- 2023 categories 11–20 and the rest --------------------------------------------------------
    top20_target = center(t23["top20"]["wan"])
    invented = [(l1, nominal(v)) for l1, v in TOP11_20[2023]]
    invented[-1] = (invented[-1][0], top20_target - sum(y23.totals.values()) - sum(v for _, v in invented[:-1]))
    for l1, v in invented:
        y23.totals[l1] = v
    tail_total = h23["total"] - sum(y23.totals.values())
    hi, lo = TAIL_BOUNDS[2023]
    names = TAIL[2023]
    tail = allocate(tail_total, [hi - (hi - lo) * i / (len(names) - 1) for i in range(len(names))])
    for l1, v in zip(names, tail):
        y23.totals[l1] = int(v)
    for l1, v in y23.totals.items():
        if l1 not in y23.subs:
            y23.subs[l1] = mix_subs(l1, v)

    # --- 2022 日常 top 10 -------------------------------------------------------------------------------
    for e in t22["top10"]:
        l1 = e["l1"]
        if l1 == "教育":
            continue
        total = y22.totals.get(l1, center(e["wan"]))
        if wan(total) != Decimal(e["wan"]):
            raise SystemExit(f"2022 {l1}: {total} does not print as {e['wan']}")
        y22.totals[l1] = total
        y22.subs[l1] = published_subs(e, EXTRA_L2[2022].get(l1, []), total)
    plan_education_2022(inp, y22, prev_remapped)

    # --- 2022 categories 11–20, the rest of 日常, and the epidemic categories ----------------------
    for l1, v in TOP11_20[2022]:
        y22.totals[l1] = nominal(v)
    hi, lo = TAIL_BOUNDS[2022]
    names = TAIL[2022]
    tail = allocate(nominal(TAIL_TOTAL_2022), [hi - (hi - lo) * i / (len(names) - 1) for i in range(len(names))])
    for l1, v in zip(names, tail):
        y22.totals[l1] = int(v)
    epidemic = t22["epidemic"]
    y22.totals[epidemic["l1"]] = center(epidemic["wan"])
    extra_total = h22["total"] - sum(y22.totals.values())
    for (l1, _), v in zip(EPIDEMIC_EXTRA_2022, allocate(extra_total, [w for _, w in EPIDEMIC_EXTRA_2022])):
        y22.totals[l1] = int(v)
    y22.epidemic = [epidemic["l1"]] + [l1 for l1, _ in EPIDEMIC_EXTRA_2022]
    for l1, v in y22.totals.items():
        if l1 not in y22.subs and l1 not in y22.epidemic:
            y22.subs[l1] = mix_subs(l1, v)

    for plan in (y22, y23):
        plan.totals = dict(sorted(plan.totals.items(), key=lambda kv: (-kv[1], kv[0])))
    return {2022: y22, 2023: y23}


def mix_subs(l1: str, total: int) -> dict[str, int]:
    mix = L2_MIX[l1]
    return {n: int(v) for (n, _), v in zip(mix, allocate(total, [w for _, w in mix]))}


def plan_education_2022(inp: Inputs, y22: YearPlan, prev_remapped: dict[str, int]) -> None:
    """2022 教育 on the old taxonomy.  The remaps move 社会办学 and the invented 在线教育 and
    职业技能培训 to 社会培训机构, whose 2022 value the 2023 同比 fixes; 教育 itself (49.9 万) must
    still hold un-remapped, so the four 教育 sub-categories that stay are fitted to it."""
    e = next(x for x in inp.t22["top10"] if x["l1"] == "教育")
    target_l1 = inp.remapped_l1("教育", e["top5"][0][0])
    remapped_total = prev_remapped[target_l1]
    top = strict_top5(e["top5"])
    moved = [i for i, (n, _) in enumerate(e["top5"]) if inp.remapped_l1("教育", n) != "教育"]
    stay = [i for i in range(5) if i not in moved]
    extras = EXTRA_L2[2022]["教育"]
    if any(inp.remapped_l1("教育", n) == "教育" for n, _ in extras):
        raise SystemExit("the invented 2022 教育 sub-categories must all be remapped to 社会培训机构")
    moved_extra = remapped_total - sum(top[i] for i in moved)
    extra_vals = allocate(moved_extra, [w for _, w in extras])
    stay_vals = fit_parts([top[i] for i in stay], [wan_range(e["top5"][i][1]) for i in stay],
                          center(e["wan"]) - remapped_total)
    for i, v in zip(stay, stay_vals):
        top[i] = v
    if not (extra_vals < top[-1]).all():
        raise SystemExit(f"2022 教育: {extra_vals} not below the 5th ({top[-1]})")
    y22.totals["教育"] = sum(top) + int(extra_vals.sum())
    y22.subs["教育"] = {n: v for (n, _), v in zip(e["top5"], top)} | {n: int(v) for (n, _), v in zip(extras, extra_vals)}


# =============================================================================================
# Stage 2: months
# =============================================================================================


def month_pins(targets: dict) -> dict[tuple[str, str], dict[int, int]]:
    """Printed monthly values: {(l1, l2): {month index: count}}."""
    pins: dict[tuple[str, str], dict[int, int]] = {}
    for f in targets.get("monthly", []):
        if "l2" not in f or "wan" not in f:
            continue
        months = f["months"] if "months" in f else [f["month"]]
        values = f["wan"] if isinstance(f["wan"], list) else [f["wan"]]
        for m, v in zip(months, values):
            pins.setdefault((f["l1"], f["l2"]), {})[m - 1] = center(v)
    return pins


def shape(year: int, l1: str, l2: str) -> np.ndarray:
    if (year, l1, l2) in SERIES:
        return np.array(SERIES[(year, l1, l2)], dtype=float)
    noise = 1 + NOISE * rng_for(year, l1, l2).uniform(-1, 1, MONTHS)
    if (year, l1) in L1_PROFILE:
        return np.array(L1_PROFILE[(year, l1)]) * (1 + 0.5 * (noise - 1))
    base = np.array(L1_STYLE.get((year, l1), SEASON.get(l1, [1.0] * MONTHS)), dtype=float)
    return base * np.array(TREND[year]) * noise


def month_series(total: int, weights: np.ndarray, pins: dict[int, int]) -> np.ndarray:
    out = np.zeros(MONTHS, dtype=np.int64)
    for m, v in pins.items():
        out[m] = v
    free = [m for m in range(MONTHS) if m not in pins]
    out[free] = allocate(total - sum(pins.values()), weights[free])
    # a unique maximum, so that "the peak month" is well defined
    while True:
        top = np.flatnonzero(out == out.max())
        movable = [m for m in top if m not in pins]
        if len(top) == 1:
            return out
        if not movable:
            raise SystemExit(f"tied pinned maxima {out}")
        src = movable[-1]
        dst = min((m for m in free if m not in top), key=lambda m: (out[m], m))
        out[src] -= 1
        out[dst] += 1


def split_months(plan: YearPlan, targets: dict) -> pd.DataFrame:
    """(l1, l2, month, count) for every sub-category; 2022's epidemic categories fill the months."""
    pins = month_pins(targets)
    rows: list[tuple[str, str, int, int]] = []
    for l1, subs in plan.subs.items():
        for l2, total in subs.items():
            series = month_series(total, shape(plan.year, l1, l2), pins.get((l1, l2), {}))
            rows += [(l1, l2, m, int(v)) for m, v in enumerate(series)]
    cells = pd.DataFrame(rows, columns=["category_l1", "category_l2", "m", "count"])
    if plan.epidemic:
        cells = pd.concat([cells, epidemic_months(plan, targets, cells)], ignore_index=True)
    return cells


def epidemic_months(plan: YearPlan, targets: dict, daily: pd.DataFrame) -> pd.DataFrame:
    """2022: monthly totals (1月 and 10月 printed) minus the 日常 categories = the epidemic volume,
    shared by the epidemic categories (新型冠状病毒肺炎疫情 takes the rest of every month)."""
    pinned = {f["month"] - 1: center(f["wan"]) for f in targets["monthly_total"] if f["fact"] == "value"}
    months = np.zeros(MONTHS, dtype=np.int64)
    for m, v in pinned.items():
        months[m] = v
    for m, v in MONTH_TOTALS_2022.items():
        months[m - 1] = nominal(v)
    rest = [m for m in range(MONTHS) if months[m] == 0]
    assert len(rest) == 1, "exactly one month takes the remainder"
    months[rest[0]] = plan.headline["total"] - int(months.sum())
    daily_m = daily.groupby("m")["count"].sum().reindex(range(MONTHS), fill_value=0).to_numpy()
    volume = months - daily_m
    per_l1: dict[str, np.ndarray] = {}
    for l1 in plan.epidemic[1:]:
        per_l1[l1] = allocate(plan.totals[l1], volume * np.array(EPIDEMIC_TILT_2022[l1]))
    main = volume - sum(per_l1.values())
    if (main <= 0).any() or int(main.sum()) != plan.totals[plan.epidemic[0]]:
        raise SystemExit(f"epidemic months do not add up: {main}")
    per_l1 = {plan.epidemic[0]: main} | per_l1
    rows = []
    for l1, series in per_l1.items():
        mix = L2_MIX[l1]
        plan.subs[l1] = {}
        for m in range(MONTHS):
            noise = 1 + NOISE * rng_for(2022, l1, m).uniform(-1, 1, len(mix))
            for (l2, _), v in zip(mix, allocate(int(series[m]), np.array([w for _, w in mix]) * noise)):
                rows.append((l1, l2, m, int(v)))
                plan.subs[l1][l2] = plan.subs[l1].get(l2, 0) + int(v)
    return pd.DataFrame(rows, columns=["category_l1", "category_l2", "m", "count"])


# =============================================================================================
# Stage 3: 派单 / 直接答复
# =============================================================================================


def split_disposition(plan: YearPlan, cells: pd.DataFrame) -> pd.DataFrame:
    fixed = DISPATCH[plan.year]
    totals = cells.groupby("category_l1", sort=False)["count"].sum()
    target: dict[str, int] = {l1: int(round(fixed[l1] * int(totals[l1]))) for l1 in fixed}
    absorbers = [l1 for l1 in totals.index if l1 not in fixed]
    left = plan.headline[DISPATCHED] - sum(target.values())
    base = [DISPATCH_BASE.get(l1, DISPATCH_DEFAULT) * int(totals[l1]) for l1 in absorbers]
    caps = [int(totals[l1]) for l1 in absorbers]
    for l1, v in zip(absorbers, allocate(left, base, caps)):
        target[l1] = int(v)
    dispatched = np.zeros(len(cells), dtype=np.int64)
    for l1, idx in cells.groupby("category_l1", sort=False).indices.items():
        sub = cells.iloc[idx]
        tilt = np.array([1 + 0.15 * rng_for(plan.year, l1, l2, "派单").uniform(-1, 1) for l2 in sub["category_l2"]])
        dispatched[idx] = allocate(target[l1], sub["count"].to_numpy() * tilt, sub["count"].to_numpy())
    a = cells.assign(disposition=DISPATCHED, count=dispatched)
    b = cells.assign(disposition=DIRECT, count=cells["count"].to_numpy() - dispatched)
    return pd.concat([a, b], ignore_index=True)


# =============================================================================================
# Stage 4: 电话 / 网络
# =============================================================================================


def split_channel(plan: YearPlan, cells: pd.DataFrame) -> pd.DataFrame:
    year = plan.year
    share = np.array(NETWORK_SHARE[year])[cells["m"].to_numpy()]
    factor = cells["category_l1"].map(lambda l1: NETWORK_FACTOR[year].get(l1, NETWORK_FACTOR_DEFAULT[year])).to_numpy()
    count = cells["count"].to_numpy()
    network = allocate(plan.headline[NETWORK], count * share * factor, count)
    a = cells.assign(channel=PHONE, count=count - network)
    b = cells.assign(channel=NETWORK, count=network)
    return pd.concat([a, b], ignore_index=True)


# Later: split_place (district, street) and split_handler (handler_level, handler), topic.


# =============================================================================================
# Assembly and output
# =============================================================================================


def build_year(plan: YearPlan, targets: dict) -> pd.DataFrame:
    cells = split_months(plan, targets)
    cells = split_disposition(plan, cells)
    cells = split_channel(plan, cells)
    cells = cells[cells["count"] > 0]
    order = {l1: i for i, l1 in enumerate(plan.totals)}
    cells = cells.assign(_o=cells["category_l1"].map(order),
                         _d=cells["disposition"].map({DISPATCHED: 0, DIRECT: 1}),
                         _c=cells["channel"].map({PHONE: 0, NETWORK: 1}))
    cells = cells.sort_values(["m", "_o", "category_l1", "category_l2", "_d", "_c"], kind="mergesort")
    out = pd.DataFrame({
        "month": [f"{plan.year}-{m + 1:02d}" for m in cells["m"]],
        "channel": cells["channel"].to_numpy(),
        "disposition": cells["disposition"].to_numpy(),
        "category_l1": cells["category_l1"].to_numpy(),
        "category_l2": cells["category_l2"].to_numpy(),
    })
    for col in LATER_COLUMNS:
        out[col] = pd.Series([None] * len(out), dtype="object")
    out["count"] = cells["count"].to_numpy().astype("int64")
    return out[list(COLUMNS)].reset_index(drop=True)


def check_taxonomy(frame: pd.DataFrame, taxonomy: dict, year: int) -> None:
    known = {(l1, l2) for l1, subs in taxonomy["categories"].items() for l2 in subs}
    pairs = set(zip(frame["category_l1"], frame["category_l2"]))
    unknown = sorted(pairs - known)
    if unknown:
        raise SystemExit(f"{year}: categories missing from {TAXONOMY.relative_to(ROOT)}: {unknown[:10]}")


SCHEMA = pa.schema([(c, pa.int64() if c == "count" else pa.string()) for c in COLUMNS])


def generate(inp: Inputs | None = None) -> dict[int, pd.DataFrame]:
    inp = inp or load_inputs()
    plans = plan_years(inp)
    frames = {}
    for year, targets in ((2022, inp.t22), (2023, inp.t23)):
        frame = build_year(plans[year], targets)
        check_taxonomy(frame, inp.taxonomy, year)
        frames[year] = frame
    return frames


def write(frames: dict[int, pd.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for year, frame in frames.items():
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False).replace_schema_metadata(None)
        path = out / f"records-{year}.parquet"
        pq.write_table(table, path, compression="zstd")
        written.append(path)
        if year == 2023:
            csv = out / f"records-{year}.csv"
            frame.to_csv(csv, index=False, encoding="utf-8", lineterminator="\n")
            written.append(csv)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "generated", help="output folder")
    args = ap.parse_args(argv)
    for path in write(generate(), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
