"""``config/<city>/schedule.yaml``: when which reports are rendered, where they go, who receives them."""

from __future__ import annotations

import datetime as dt
import re
import string
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..config.load import load_model
from ..names import NAME, NAME_FIELDS

DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# the file a recipient opens is named as a person names it: 朝阳区2023年10月考核期工作情况分析.pdf
DEFAULT_OUTPUT = "out/{report}-{period}/" + NAME + ".pdf"
Format = Literal["pdf", "docx", "xlsx"]


def parse_duration(text: str) -> timedelta:
    m = DURATION.match(str(text))
    if not m:
        raise ValueError(f"时长 “{text}” 应写成 30m、6h、2d 这样的形式")
    n, unit = int(m.group(1)), m.group(2)
    name = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]
    return timedelta(**{name: n})


def period_key(job_period: str, period: str) -> str:
    """A job's period as its period file names it: 2023-10K for the 考核期 2023-10 (``job_period`` assessment),
    else as it is (2023-10, 2023)."""
    return f"{period}K" if job_period == "assessment" else period


def _looks_like_a_secret(name: str) -> bool:
    """Letters and digits run together without an underscore (HUNTER2, P4SSW0RD), naming no variable that is
    set: more likely a password typed in capitals than the name of a variable."""
    import os

    return "_" not in name and any(c.isdigit() for c in name) and name not in os.environ


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Smtp(_Strict):
    """Where mail goes.  Credentials are never written here: only the names of the environment
    variables that hold them."""

    host: str = Field(description="SMTP 服务器；也可由环境变量 REPORTGEN_SMTP_HOST 覆盖")
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(description="发件人，如 接诉即办专班 <reports@example.gov.cn>")
    username_env: str | None = Field(None, description="保存用户名的环境变量名")
    password_env: str | None = Field(None, description="保存密码的环境变量名（密码不写在 YAML 中）")
    timeout_seconds: int = Field(30, ge=1)

    @field_validator("username_env", "password_env", mode="before")
    @classmethod
    def _env_name(cls, v, info: ValidationInfo):
        """The name of an environment variable, nothing else.  Whatever else is written here may be the secret
        itself (a password typed into ``password_env``): it is refused without being repeated anywhere."""
        if v is None:
            return v
        if isinstance(v, str) and ENV_NAME.match(v) and not _looks_like_a_secret(v):
            return v
        what = "密码" if info.field_name == "password_env" else "用户名"
        raise ValueError(f"应为保存 SMTP {what}的环境变量的名字（大写字母、数字和下划线，以字母开头，如 "
                         f"{'REPORTGEN_SMTP_PASSWORD' if what == '密码' else 'REPORTGEN_SMTP_USER'}），所写的值不是变量名"
                         f"（为免泄露，这里不显示它）。若写的是{what}本身，请把它从文件中删去、放进环境变量，"
                         f"并在此只写该变量的名字{'；这个密码已写进文件，请尽快更换' if what == '密码' else ''}")

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data):
        if isinstance(data, dict):
            for key in ("password", "passwd", "username", "user"):
                if key in data:
                    raise ValueError(f"SMTP 的{'密码' if key.startswith('pass') else '用户名'}不能写在 YAML 中（键 {key}）："
                                     f"请把它放进环境变量，并在 {'password_env' if key.startswith('pass') else 'username_env'} "
                                     "中写该变量的名字，如 REPORTGEN_SMTP_PASSWORD")
        return data


class Retry(_Strict):
    attempts: int = Field(3, ge=1, le=10, description="每个区最多尝试的次数（含第一次）")
    backoff: str = Field("2m", description="第一次重试前等待的时间，之后每次加倍")

    @field_validator("backoff")
    @classmethod
    def _duration(cls, v: str) -> str:
        parse_duration(v)
        return v


class Delivery(_Strict):
    to: list[str] = Field(description="收件人")
    cc: list[str] = []
    failures_to: list[str] | None = Field(None, description="失败通知的收件人，缺省同 to")
    attach_limit_mb: float = Field(15, gt=0, description="附件合计超过此大小时改发链接")
    link_base: str | None = Field(None, description="输出目录对外的网址前缀（附件过大时邮件中给出链接）")
    attach: list[Format] = Field(["pdf"], description="随邮件发送的文件：pdf、docx、xlsx 中的若干种（须是作业 formats 中的）")

    @field_validator("attach")
    @classmethod
    def _attach(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("attach 为空：邮件至少要附上一种文件，如 [pdf] 或 [pdf, docx]")
        return [f for f in ("pdf", "docx", "xlsx") if f in v]


class Job(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    report: str = Field(description="报告类型，如 monthly")
    districts: Literal["all"] | list[str] = Field("all", description="all 或区名列表（按区的报告）")
    cron: str = Field(description="cron 表达式（分 时 日 月 周），按 timezone 解释")
    period: Literal["assessment", "month", "year"] = Field(
        "assessment", description="触发时已结束的最近一期：考核期、自然月或年度")
    period_template: str | None = Field(
        None, description="期间文件不存在时据以生成的模板（相对于城市配置目录，{period} 等处代入）")
    output: str = Field(DEFAULT_OUTPUT, description="输出路径模式：{report}、{period}（2023-10）、{period_label}"
                                                 "（2023年10月考核期）、{district}；文件名即收件人看到的附件名")
    formats: list[Format] = Field(["pdf"], description="每份报告生成的文件：pdf（必有），另可加 docx、xlsx，"
                                                     "与 PDF 同名、写在其旁")
    start: dt.date | None = Field(None, description="自哪天起的触发才执行（新作业不补做以前的期间）")
    wait_for_data: str = Field("2d", description="数据未到时最多等待多久，之后报告为缺失")
    recheck: str = Field("30m", description="等待数据或重试时的检查间隔")
    retry: Retry = Retry()
    delivery: Delivery | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as exc:
            raise ValueError(f"cron 表达式 “{v}” 无效：{exc}") from None
        return v

    @field_validator("output")
    @classmethod
    def _separates(cls, v: str, info: ValidationInfo) -> str:
        """The pattern gives every report of the job its own file: each period, and each district when there are
        several (otherwise one district's PDF overwrites another's and the run still looks done)."""
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(v) if name is not None]
        except ValueError:
            raise ValueError(f"输出路径模式 “{v}” 的花括号不成对：占位符写成 {{district}} 这样，"
                             "可用的有 {report}、{period}、{period_label}、{district}") from None
        for name, spec, conv in fields:
            if name not in NAME_FIELDS or spec or conv:
                shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
                raise ValueError(f"输出路径模式 “{v}” 中的 {shown} 不是可用的占位符；可用的有 {{report}}、{{period}}、"
                                 "{period_label}、{district}（不带格式）")
        names = {name for name, _, _ in fields}
        if not names & {"period", "period_label"}:          # 2023-10 or 2023年10月考核期: one file per period
            raise ValueError(f"输出路径模式 “{v}” 中没有 {{period}}：下一期的报告会覆盖这一期的。"
                             "请加入 {period}，如 out/{report}-{period}/{district}.pdf")
        districts = info.data.get("districts", "all")
        if "district" not in names and (districts == "all" or len(districts) > 1):
            several = "全部区（all）" if districts == "all" else f" {len(districts)} 个区"
            raise ValueError(f"输出路径模式 “{v}” 中没有 {{district}}：作业要为{several}各生成一份报告，"
                             "它们会写进同一个文件、互相覆盖。请加入 {district}，如 out/{report}-{period}/{district}.pdf")
        return v

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        if "pdf" not in v:
            raise ValueError(f"formats [{', '.join(v)}] 中没有 pdf：PDF 是每份报告的正式文件，Word、Excel 写在它旁边。"
                             "请写成 [pdf, docx] 这样")
        return [f for f in ("pdf", "docx", "xlsx") if f in v]

    @model_validator(mode="after")
    def _attached_are_made(self) -> "Job":
        if self.delivery is not None:
            missing = [f for f in self.delivery.attach if f not in self.formats]
            if missing:
                raise ValueError(f"delivery.attach 要发送 {'、'.join(missing)}，但作业的 formats 只生成 "
                                 f"{'、'.join(self.formats)}：请在 formats 中加入 {'、'.join(missing)}")
        return self

    @field_validator("wait_for_data", "recheck")
    @classmethod
    def _durations(cls, v: str) -> str:
        parse_duration(v)
        return v


class ScheduleFile(_Strict):
    timezone: str = "Asia/Shanghai"
    database: str = Field("out/schedule.sqlite", description="运行记录与作业存储（SQLite），相对于工作目录")
    smtp: Smtp | None = None
    jobs: list[Job]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区 “{v}”，如 Asia/Shanghai") from None
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def job(self, job_id: str) -> Job:
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(job_id)


def load_schedule(profile_dir: Path) -> ScheduleFile:
    return load_model(profile_dir / "schedule.yaml", ScheduleFile)[0]
