"""Delivery by e-mail over SMTP: the PDFs attached (or linked when too large), and a failure notice.

Host, port and security come from schedule.yaml (``smtp``) or the environment (REPORTGEN_SMTP_HOST,
REPORTGEN_SMTP_PORT); user name and password only from the environment variables the YAML names.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..errors import ConfigError, ReportError
from .config import Job, Smtp
from .history import Run, output_files, register_secret_envs, scrub

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
    def __init__(self, smtp: Smtp | None, now=None) -> None:
        if smtp is None:
            raise ConfigError("配置错误：schedule.yaml 中没有 smtp，无法发送邮件。")
        self.smtp = smtp
        self.now = now
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
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain="reportgen")
        return msg

    def deliver(self, job: Job, run: Run, resend: bool = False) -> None:
        """The run's report mail (its PDFs) and, unless ``resend``, its failure notice.  The runner decides
        whether a run has anything to send (an ``unchanged`` run only when the period's report has not
        been delivered yet)."""
        d = job.delivery
        assert d is not None
        outcome = run.outcome or run.status
        if run.outputs:
            word = "部分失败" if run.failures else "全部生成"
            msg = self._message(("【重发】" if resend else "") + f"{run.period} {job.report}：{len(run.outputs)} 份报告（{word}）",
                                d.to, d.cc)
            # the formats the job attaches, of those each output has (a run recorded before formats: its PDF)
            files = [(fmt, path) for o in run.outputs for fmt, (path, _) in output_files(o).items() if fmt in d.attach]
            total = sum(f.stat().st_size for _, f in files)
            lines = [f"作业 {job.id}，期间 {run.period}，触发时间 {run.fire_time}。", ""]
            kinds = [MIME[f][2] for f in d.attach if any(fmt == f for fmt, _ in files)]
            if total <= d.attach_limit_mb * 1024 * 1024:
                lines.append(f"附件为 {len(files)} 份 PDF（合计 {total / 1024 / 1024:.1f} MB）：" if kinds == ["PDF"] else
                             f"附件为 {len(run.outputs)} 份报告的 {'、'.join(kinds)} 文件，共 {len(files)} 个"
                             f"（合计 {total / 1024 / 1024:.1f} MB）：")
                lines += [f"  {o['district']}：{Path(o['path']).name}（{o['pages']} 页，sha256 {o['sha256'][:12]}…）"
                          if d.attach == ["pdf"] else f"  {o['district']}：" + "、".join(
                              p.name for f, (p, _) in output_files(o).items() if f in d.attach) + f"（{o['pages']} 页）"
                          for o in run.outputs]
                attach = True
            else:
                base = (d.link_base or "").rstrip("/")
                lines.append(f"附件合计 {total / 1024 / 1024:.1f} MB，超过 {d.attach_limit_mb} MB，改为链接：")
                lines += [f"  {o['district']}：" + "  ".join(f"{base}/{p.as_posix()}" if base else str(p)
                                                            for f, (p, _) in output_files(o).items() if f in d.attach)
                          for o in run.outputs]
                attach = False
            if run.failures:
                lines += ["", f"另有 {len(run.failures)} 个区生成失败（已另发通知）：{'、'.join(run.failures)}。"]
            msg.set_content("\n".join(lines) + "\n")
            if attach:
                for fmt, path in files:
                    maintype, subtype, _ = MIME[fmt]
                    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
            self._send(msg)
        if not resend and (run.failures or outcome in ("failed", "missing")):
            to = d.failures_to or d.to
            msg = self._message(f"【失败】{run.period or ''} {job.report}：{STATUS_WORDS.get(outcome, outcome)}", to, [])
            lines = [f"作业 {job.id}，期间 {run.period}，触发时间 {run.fire_time}，尝试 {run.attempts} 次。", ""]
            if run.error:
                lines += [run.error, ""]
            for district, error in run.failures.items():
                lines += [f"{district}：", *[f"  {line}" for line in error.splitlines()], ""]
            msg.set_content("\n".join(lines))
            self._send(msg)
