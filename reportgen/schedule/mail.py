"""Delivery by e-mail over SMTP: the PDFs attached (or linked when too large), and a failure notice.

Host, port and security come from schedule.yaml (``smtp``) or the environment (REPORTGEN_SMTP_HOST,
REPORTGEN_SMTP_PORT); user name and password only from the environment variables the YAML names.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, make_msgid
from pathlib import Path

from ..errors import ConfigError, ReportError
from .config import Job, Smtp, period_key
from .history import Run, local_time, output_files, register_secret_envs, scrub

# how each format is attached and named in the mail
MIME = {"pdf": ("application", "pdf", "PDF"),
        "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
        "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel")}
STATUS_WORDS = {"done": "全部生成", "partial": "部分失败", "failed": "全部失败", "missing": "数据缺失", "unchanged": "未变化"}


class DeliveryError(ReportError):
    """A message could not be sent (server down, login or recipients refused): the run is recorded
    ``undelivered`` and the delivery tried again."""

    exit_code = 1


def _why(exc: BaseException, host: str, port: int) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"SMTP 服务器 {host}:{port} 拒绝了登录（{exc.smtp_code}），请检查用户名与密码的环境变量"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"SMTP 服务器 {host}:{port} 拒绝了收件人 {'、'.join(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"SMTP 服务器 {host}:{port} 拒绝了发件人 {exc.sender}（{exc.smtp_code}）"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP 服务器 {host}:{port} 拒绝发送（{exc.smtp_code} {exc.smtp_error!r}）"
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError)):
        return f"无法连接 SMTP 服务器 {host}:{port}（{exc.__class__.__name__}：{exc}）"
    return f"发送时出错（{exc.__class__.__name__}：{exc}）"


class Mailer:
    def __init__(self, smtp: Smtp | None, now=None, tz=None) -> None:
        if smtp is None:
            raise ConfigError("配置错误：schedule.yaml 中没有 smtp，无法发送邮件。")
        self.smtp = smtp
        self.now = now
        self.tz = tz            # the schedule's time zone: the Date a recipient's client shows (else the machine's)
        register_secret_envs(smtp.username_env, smtp.password_env)     # never written into the history

    def _send(self, msg: EmailMessage) -> None:
        s = self.smtp
        host = os.environ.get("REPORTGEN_SMTP_HOST", s.host)
        port = int(os.environ.get("REPORTGEN_SMTP_PORT", s.port))
        user = os.environ.get(s.username_env) if s.username_env else None
        password = os.environ.get(s.password_env) if s.password_env else None
        if s.username_env and user is None:
            raise ConfigError(f"配置错误：环境变量 {s.username_env}（SMTP 用户名）未设置。")
        if s.password_env and password is None:
            raise ConfigError(f"配置错误：环境变量 {s.password_env}（SMTP 密码）未设置。")
        context = ssl.create_default_context()
        try:
            if s.security == "ssl":
                server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=s.timeout_seconds, context=context)
            else:
                server = smtplib.SMTP(host, port, timeout=s.timeout_seconds)
            with server:
                if s.security == "starttls":
                    server.starttls(context=context)
                if user is not None:
                    server.login(user, password or "")
                server.send_message(msg)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(scrub(f"邮件发送失败：{_why(exc, host, port)}。")) from None

    def _message(self, subject: str, to: list[str], cc: list[str]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.smtp.sender
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        if self.tz is not None:
            from datetime import datetime

            msg["Date"] = format_datetime(datetime.now(self.tz))
        else:
            msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="reportgen")
        return msg

    def deliver(self, job: Job, run: Run, resend: bool = False, title: str | None = None) -> None:
        """The run's report mail (its reports) and, unless ``resend``, its failure notice.  The runner decides
        whether a run has anything to send (an ``unchanged`` run only when the period's report has not
        been delivered yet).  ``title``: the report's title when no output's manifest names it (a run that
        made no report)."""
        d = job.delivery
        assert d is not None
        outcome = run.outcome or run.status
        summaries = [summary_of(o) for o in run.outputs]
        title = next((sm["title"] for sm in summaries if sm and sm.get("title")), None) or title
        name = report_name(title, job, run)
        one = [] if job.districts == "all" else list(job.districts)
        single = len(run.districts or one) == 1                                   # a job of one district
        if run.outputs:
            msg = self._message(("【重发】" if resend else "") + mail_subject(name, run, single), d.to, d.cc)
            # the formats the job attaches, of those each output has (a run recorded before formats: its PDF)
            files = [(fmt, path) for o in run.outputs for fmt, (path, _) in output_files(o).items() if fmt in d.attach]
            total = sum(f.stat().st_size for _, f in files)
            attach = total <= d.attach_limit_mb * 1024 * 1024
            links: dict[str, list[str]] = {}
            if not attach:
                base = (d.link_base or "").rstrip("/")
                links = {o["district"]: [f"{base}/{p.as_posix()}" if base else str(p)
                                         for f, (p, _) in output_files(o).items() if f in d.attach]
                         for o in run.outputs}
            rows = [(o["district"], [p.name for f, (p, _) in output_files(o).items() if f in d.attach],
                     (sm or {}).get("key_figures", [])) for o, sm in zip(run.outputs, summaries)]
            remade = [o["district"] for o in run.outputs if o.get("run") == run.id]
            notes = []
            if run.failures:
                notes.append(f"另有 {len(run.failures)} 个区未能生成（已另行通知）：{'、'.join(run.failures)}。")
            if 0 < len(remade) < len(run.outputs):
                notes.append(f"其中本次重新生成的是{'、'.join(remade)}，其余各区的报告与上次生成的相同。")
            intro = (f"现发送{mail_subject(name, run, single)}，见附件。" if attach else
                     f"现发送{mail_subject(name, run, single)}。附件合计 {total / 1024 / 1024:.1f} MB，"
                     f"超过 {d.attach_limit_mb} MB，改为链接：")
            msg.set_content(plain_body(intro, rows, links, notes))
            msg.add_alternative(html_body(mail_subject(name, run, single), intro, rows, links, notes), subtype="html")
            if attach:
                for fmt, path in files:
                    maintype, subtype, _ = MIME[fmt]
                    attach_file(msg, path.read_bytes(), maintype, subtype, path.name)
            self._send(msg)
        if not resend and (run.failures or outcome in ("failed", "missing")):
            to = d.failures_to or d.to
            who = (run.districts or one)[0] if single else ""
            msg = self._message(f"【失败】{who}{name}：{STATUS_WORDS.get(outcome, outcome)}", to, [])
            lines = [f"{who}{name}{FAILURE_WORDS.get(outcome, '未能生成')}（触发时间 {local_time(run.fire_time)}，"
                     f"已尝试 {run.attempts} 次）。", ""]
            if run.error:
                lines += [run.error, ""]
            for district, error in run.failures.items():
                lines += [f"{district}：", *[f"  {line}" for line in error.splitlines()], ""]
            lines += ["运行记录：reportgen schedule history"]
            msg.set_content("\n".join(lines) + "\n")
            self._send(msg)


FAILURE_WORDS = {"failed": "未能生成", "partial": "有部分区未能生成", "missing": "因数据未到齐未能生成",
                 "done": "已生成", "unchanged": "未变化"}


# --- what a recipient reads: names, subject, body, attachments -------------------------------------------

def summary_of(output: dict) -> dict | None:
    """What the render wrote about the report into its figure manifest (``<name>.figures.json`` beside the PDF):
    title, district, period and key figures — only when that manifest is this PDF's own (its checksum), and only
    the key figures whose every number is one of the manifest's figures of the block that prints it: the mail
    never shows a number the PDF does not."""
    import json
    import re

    pdf = Path(output["path"])
    try:
        data = json.loads(pdf.with_name(pdf.stem + ".figures.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("pdf_sha256") != output.get("sha256"):
        return None
    summary = dict(data.get("summary") or {})
    printed: dict[str, set[str]] = {}
    for e in data.get("numbers", []):
        printed.setdefault(e.get("where", ""), set()).add(e.get("text", ""))
    summary["key_figures"] = [f for f in summary.get("key_figures", [])
                              if all(n in printed.get(f.get("where", ""), set())
                                     for n in re.findall(r"\d+(?:\.\d+)?", f.get("text", "")))]
    return summary


def report_name(title: str | None, job: Job, run: Run) -> str:
    """The report as a person names it: '2023年10月“接诉即办”考核期工作情况分析' — its title (the year put in front
    when the title does not begin with it), or without one the period: '2023年10月考核期报告'."""
    import re

    from ..names import period_label
    from ..periods import parse_period

    key = period_key(job.period, run.period or "")
    try:
        label, year = period_label(key), parse_period(key, 19).year
    except ReportError:
        label, year = run.period or "", None
    if not title:
        return f"{label}报告"
    title = title.replace("\n", "")
    return title if year is None or re.match(r"^\d{4}年", title) else f"{year}年{title}"


def mail_subject(name: str, run: Run, single: bool) -> str:
    """'朝阳区2023年10月“接诉即办”考核期工作情况分析' for one district's report, '…（16 个区）' for several."""
    if single and run.outputs:
        return f"{run.outputs[0]['district']}{name}"
    extra = f"，{len(run.failures)} 个区未能生成" if run.failures else ""
    return f"{name}（{len(run.outputs)} 个区{extra}）"


def _columns(rows) -> list[str]:
    labels: list[str] = []
    for _, _, figures in rows:
        labels += [f["label"] for f in figures if f["label"] not in labels]
    return labels


def plain_body(intro: str, rows, links: dict[str, list[str]], notes: list[str]) -> str:
    lines = ["各位好：", "", intro]
    if links:
        lines += [f"  {district}：" + "  ".join(links[district]) for district, _, _ in rows]
    labels = _columns(rows)
    if labels:
        lines += ["", "本期主要数字（摘自报告）："]
        for district, _, figures in rows:
            shown = {f["label"]: f["text"] for f in figures}
            lines.append(f"  {district}：" + "，".join(f"{k}{shown[k]}" for k in labels if k in shown))
    if not links:
        lines += ["", "附件："]
        lines += [f"  {district}：" + "、".join(names) for district, names, _ in rows]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def html_body(title: str, intro: str, rows, links: dict[str, list[str]], notes: list[str]) -> str:
    from html import escape

    labels = _columns(rows)
    cell = "border:1px solid #b7b7b7;padding:4px 10px;"
    head = "".join(f'<th style="{cell}background:#f0f0f0">{escape(h)}</th>'
                   for h in ["区", *labels, "链接" if links else "附件"])
    body = []
    for district, names, figures in rows:
        shown = {f["label"]: f["text"] for f in figures}
        cells = [f'<td style="{cell}">{escape(district)}</td>']
        cells += [f'<td style="{cell}text-align:right">{escape(shown.get(k, "—"))}</td>' for k in labels]
        files = ("<br>".join(f'<a href="{escape(u)}">{escape(u.rsplit("/", 1)[-1])}</a>' for u in links[district])
                 if links else "<br>".join(escape(n) for n in names))
        cells.append(f'<td style="{cell}">{files}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts = ["<p>各位好：</p>", f"<p>{escape(intro)}</p>",
             f'<table style="border-collapse:collapse;font-size:14px"><thead><tr>{head}</tr></thead>'
             f"<tbody>{''.join(body)}</tbody></table>"]
    if labels:
        parts.append('<p style="color:#666;font-size:12px">表中数字均摘自所附报告。</p>')
    parts += [f"<p>{escape(n)}</p>" for n in notes]
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head>\n"
            '<body style="font-family:\'Microsoft YaHei\',\'PingFang SC\',sans-serif;font-size:14px;color:#222">\n'
            + "\n".join(parts) + "\n</body></html>\n")


def encoded_words(text: str, limit: int = 39) -> list[str]:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), each of at most ``limit`` bytes of text (whole
    characters), so that every folded line stays within 78 characters."""
    import base64

    chunks, chunk = [], ""
    for ch in text:
        if chunk and len((chunk + ch).encode("utf-8")) > limit:
            chunks.append(chunk)
            chunk = ""
        chunk += ch
    chunks.append(chunk)
    return ["=?utf-8?b?" + base64.b64encode(c.encode("utf-8")).decode("ascii") + "?=" for c in chunks]


def attach_file(msg: EmailMessage, data: bytes, maintype: str, subtype: str, name: str) -> None:
    """An attachment whose Chinese name shows in common clients: Content-Disposition's ``filename*`` in RFC 2231
    (what the standard and most clients read) and Content-Type's ``name`` as RFC 2047 encoded words (what older
    Outlook and some webmail read)."""
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if name.isascii():
        return
    part = msg.get_payload()[-1]
    del part["Content-Type"]
    words = encoded_words(name)
    # written as is (the policy would turn an encoded-word parameter into RFC 2231, and refolds — badly — a line
    # over 78 columns): a long type (the .docx's, the .xlsx's) starts on the next line
    kind = f"{maintype}/{subtype};"
    lead = "" if len("Content-Type: ") + len(kind) <= 78 else "\n "
    part.set_raw("Content-Type", f"{lead}{kind}\n name=\"" + "\n ".join(words) + "\"")
