"""A minimal PowerShell Remoting Protocol client for the wire tests: the
requests a Windows-side client sends, with envelopes shaped as pypsrp
recorded them against Windows (docs/psrp.md section 1; pypsrp's
test_psrp_stream_output_invocation), PSRP fragments and messages as
MS-PSRP 2.2.1 and 2.2.4 define them, and readers of what comes back.

The PSRP payloads are the smallest that PowerShell accepts: protocol 2.3's
SESSION_CAPABILITY, an INIT_RUNSPACEPOOL of one runspace without a host,
and a CREATE_PIPELINE of one script. Only the test harness uses this; the
product's own client is libpsrpclient under pwsh."""
import base64
import re
import struct
import uuid
import xml.etree.ElementTree as ET

import harness as h

PS_PREFIX = "http://schemas.microsoft.com/powershell/"
NS_PS = "http://schemas.microsoft.com/powershell"
SIGNAL_STOP = "powershell/signal/crtl_c"
SIGNAL_TERMINATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate"

# MS-PSRP 2.2.1 message types
SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
APPLICATION_PRIVATE_DATA = 0x00021009
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
PIPELINE_OUTPUT = 0x00041004
ERROR_RECORD = 0x00041005
PIPELINE_STATE = 0x00041006
DESTINATION_SERVER = 2

CAPABILITY_XML = ('<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version>'
                  '<Version N="PSVersion">2.0</Version>'
                  '<Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>')


def _enum(name, ref, tn_ref, type_name, text, value):
    tn = ('<TN RefId="%d"><T>%s</T><T>System.Enum</T><T>System.ValueType</T>'
          '<T>System.Object</T></TN>' % (tn_ref, type_name)) if type_name else '<TNRef RefId="%d" />' % tn_ref
    return '<Obj N="%s" RefId="%d">%s<ToString>%s</ToString><I32>%d</I32></Obj>' % (
        name, ref, tn, text, value)


HOST_NULL = ('<MS><B N="_isHostNull">true</B><B N="_isHostUINull">true</B>'
             '<B N="_isHostRawUINull">true</B><B N="_useRunspaceHost">true</B></MS>')

INIT_RUNSPACEPOOL_XML = (
    '<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32>'
    + _enum("PSThreadOptions", 1, 0, "System.Management.Automation.Runspaces.PSThreadOptions",
            "Default", 0)
    + _enum("ApartmentState", 2, 1, "System.Management.Automation.Runspaces.ApartmentState",
            "UNKNOWN", 2)
    + '<Obj N="HostInfo" RefId="3">' + HOST_NULL + '</Obj>'
    '<Nil N="ApplicationArguments" /></MS></Obj>')


def _xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def create_pipeline_xml(script):
    merge = "System.Management.Automation.Runspaces.PipelineResultTypes"
    merges = "".join(_enum(n, 11 + i, 3, None, "None", 0) for i, n in enumerate(
        ("MergeError", "MergeWarning", "MergeVerbose", "MergeDebug", "MergeInformation")))
    return (
        '<Obj RefId="0"><MS><B N="NoInput">true</B>'
        + _enum("ApartmentState", 1, 0, "System.Management.Automation.Runspaces.ApartmentState",
                "UNKNOWN", 2)
        + _enum("RemoteStreamOptions", 2, 1,
                "System.Management.Automation.Runspaces.RemoteStreamOptions", "None", 0)
        + '<B N="AddToHistory">false</B><Obj N="HostInfo" RefId="3">' + HOST_NULL + '</Obj>'
        '<Obj N="PowerShell" RefId="4"><MS><B N="IsNested">false</B><Nil N="ExtraCmds" />'
        '<Obj N="Cmds" RefId="5"><TN RefId="2"><T>System.Collections.Generic.List`1[['
        'System.Management.Automation.PSObject, System.Management.Automation]]</T>'
        '<T>System.Object</T></TN><LST><Obj RefId="6"><MS>'
        '<S N="Cmd">' + _xml_text(script) + '</S><B N="IsScript">true</B>'
        '<Nil N="UseLocalScope" />'
        + _enum("MergeMyResult", 7, 3, merge, "None", 0)
        + _enum("MergeToResult", 8, 3, None, "None", 0)
        + _enum("MergePreviousResults", 9, 3, None, "None", 0)
        + '<Obj N="Args" RefId="10"><TNRef RefId="2" /><LST /></Obj>'
        + merges +
        '</MS></Obj></LST></Obj><Nil N="History" />'
        '<B N="RedirectShellErrorOutputPipe">false</B></MS></Obj>'
        '<B N="IsNested">false</B></MS></Obj>')


def message(msg_type, rpid, pid, xml):
    """MS-PSRP 2.2.1: destination, type, RPID, PID (GUIDs in .NET byte order), data."""
    return (struct.pack("<II", DESTINATION_SERVER, msg_type) + uuid.UUID(rpid).bytes_le
            + uuid.UUID(pid or "00000000-0000-0000-0000-000000000000").bytes_le + xml.encode())


class Fragmenter:
    """MS-PSRP 2.2.4: each message in one fragment, ObjectIds counting up."""

    def __init__(self):
        self.object_id = 0

    def fragment(self, msg):
        self.object_id += 1
        return struct.pack(">QQBI", self.object_id, 0, 3, len(msg)) + msg


def fragments(data):
    """The messages of whole fragments: [(type, pid, text)]."""
    out, at = [], 0
    while at < len(data):
        h.check(len(data) - at >= 21, "a fragment header cut short")
        _, fragment_id, flags, n = struct.unpack(">QQBI", data[at:at + 21])
        blob = data[at + 21:at + 21 + n]
        h.check(len(blob) == n, "a fragment cut short")
        h.check(flags == 3 and fragment_id == 0,
                "expected whole messages in single fragments (flags %d, id %d)" % (flags, fragment_id))
        _, msg_type = struct.unpack("<II", blob[:8])
        pid = str(uuid.UUID(bytes_le=blob[24:40])).upper()
        out.append((msg_type, pid, blob[40:].decode("utf-8-sig")))
        at += 21 + n
    return out


def envelope(action, resource, body, shell_id=None, options="", timeout="PT20S",
             max_envelope=512000):
    """pypsrp's envelope, header elements in its order."""
    sel = ('<wsman:SelectorSet><wsman:Selector Name="ShellId">%s</wsman:Selector>'
           '</wsman:SelectorSet>' % shell_id) if shell_id else ""
    return (
        '<s:Envelope xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
        'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:wsmv="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header>'
        '<wsa:Action s:mustUnderstand="true">%s</wsa:Action>'
        '<wsmv:DataLocale s:mustUnderstand="false" xml:lang="en-US" />'
        '<wsman:Locale s:mustUnderstand="false" xml:lang="en-US" />'
        '<wsman:MaxEnvelopeSize s:mustUnderstand="true">%d</wsman:MaxEnvelopeSize>'
        '<wsa:MessageID>uuid:%s</wsa:MessageID>'
        '<wsman:OperationTimeout>%s</wsman:OperationTimeout>'
        '<wsa:ReplyTo><wsa:Address s:mustUnderstand="true">%s</wsa:Address></wsa:ReplyTo>'
        '<wsman:ResourceURI s:mustUnderstand="true">%s</wsman:ResourceURI>'
        '<wsmv:SessionId s:mustUnderstand="false">uuid:7C007E5F-D153-40C5-81B5-A22CBCB425AD'
        '</wsmv:SessionId><wsa:To>https://127.0.0.1/wsman</wsa:To>%s%s</s:Header>'
        '<s:Body>%s</s:Body></s:Envelope>'
        % (action, max_envelope, str(uuid.uuid4()).upper(), timeout, h.ANONYMOUS, resource,
           options, sel, body))


def option_set(pairs, must_comply=False):
    mc = ' MustComply="true"' if must_comply else ""
    return ('<wsman:OptionSet s:mustUnderstand="true">%s</wsman:OptionSet>'
            % "".join('<wsman:Option%s Name="%s">%s</wsman:Option>' % (mc, k, v) for k, v in pairs))


class Pool:
    """One RunspacePool on a PowerShell endpoint, spoken to as pypsrp does."""

    def __init__(self, svc, user, endpoint="Microsoft.PowerShell", conn=None):
        self.svc, self.user = svc, user
        self.resource = PS_PREFIX + endpoint
        self.shell_id = str(uuid.uuid4()).upper()
        self.frag = Fragmenter()
        self.conn = conn

    def post(self, action, body, shell=True, **kw):
        env = envelope(action, self.resource, body, self.shell_id if shell else None, **kw)
        return h.request(self.svc, env, auth=self.user, conn=self.conn)

    def creation(self):
        """The creationXml's content, base64: SESSION_CAPABILITY and INIT_RUNSPACEPOOL."""
        return base64.b64encode(
            self.frag.fragment(message(SESSION_CAPABILITY, self.shell_id, None, CAPABILITY_XML))
            + self.frag.fragment(message(INIT_RUNSPACEPOOL, self.shell_id, None,
                                         INIT_RUNSPACEPOOL_XML))).decode()

    def pipeline(self, script, command_id):
        """A Command's argument, base64: the CREATE_PIPELINE of script."""
        return base64.b64encode(self.frag.fragment(message(
            CREATE_PIPELINE, self.shell_id, command_id, create_pipeline_xml(script)))).decode()

    def create_body(self):
        return ('<rsp:Shell ShellId="%s"><rsp:InputStreams>stdin pr</rsp:InputStreams>'
                '<rsp:OutputStreams>stdout</rsp:OutputStreams>'
                '<creationXml xmlns="%s">%s</creationXml></rsp:Shell>'
                % (self.shell_id, NS_PS, self.creation()))

    def create(self):
        return self.post(h.A_CREATE, self.create_body(), shell=False,
                         options=option_set([("protocolversion", "2.3")], must_comply=True))

    def receive(self, command_id=None, timeout="PT20S"):
        attr = ' CommandId="%s"' % command_id if command_id else ""
        return self.post(h.A_RECEIVE, '<rsp:Receive><rsp:DesiredStream%s>stdout</rsp:DesiredStream>'
                         '</rsp:Receive>' % attr,
                         options=option_set([("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True")]),
                         timeout=timeout)

    def open(self, limit=60.0):
        """Create, then Receive on the pool until it reports Opened (2)."""
        r = self.create()
        h.eq(r.status, 200, "PowerShell Create (%s)" % h._short(r.body))
        return r, self.receive_until(None, lambda msgs: any(
            t == RUNSPACEPOOL_STATE and '<I32 N="RunspaceState">2</I32>' in x for t, _, x in msgs),
            limit)

    def command(self, script, command_id=None):
        command_id = command_id or str(uuid.uuid4()).upper()
        r = self.post(h.A_COMMAND, '<rsp:CommandLine CommandId="%s"><rsp:Command /><rsp:Arguments>%s'
                      '</rsp:Arguments></rsp:CommandLine>' % (command_id, self.pipeline(script, command_id)),
                      options=option_set([("WINRS_SKIP_CMD_SHELL", "False")]))
        return r, command_id

    def receive_until(self, command_id, done, limit=60.0):
        """Receives until done(messages) or, for a command, CommandState Done.
        Returns (messages, last response)."""
        import time
        msgs, deadline, r = [], time.monotonic() + limit, None
        while time.monotonic() < deadline:
            r = self.receive(command_id)
            if r.status != 200:
                f = r.fault()
                h.check(f and f.code == 2150858793, "Receive failed: %s" % h._short(r.body))
                continue
            for s in r.xml().iter("{%s}Stream" % h.NS["rsp"]):
                msgs.extend(fragments(base64.b64decode(s.text or "")))
            state = r.xml().find(".//rsp:CommandState", h.NS)
            if done and done(msgs):
                return msgs, r
            if command_id and state is not None and state.get("State", "").endswith("/Done"):
                return msgs, r
        raise h.TestFailure("no end within %.0f s; got %r" % (limit, [hex(t) for t, _, _ in msgs]))

    def signal(self, command_id, code):
        attr = ' CommandId="%s"' % command_id if command_id else ""
        return self.post(h.A_SIGNAL, '<rsp:Signal%s><rsp:Code>%s</rsp:Code></rsp:Signal>' % (attr, code))

    def send(self, data, command_id=None, stream="stdin"):
        attr = ' CommandId="%s"' % command_id if command_id else ""
        return self.post(h.A_SEND, '<rsp:Send><rsp:Stream Name="%s"%s>%s</rsp:Stream></rsp:Send>'
                         % (stream, attr, base64.b64encode(data).decode()))

    def delete(self):
        return self.post(h.A_DELETE, "")


def outputs(msgs):
    """The text of each PIPELINE_OUTPUT (<S>..</S> values)."""
    return [m for t, _, x in msgs if t == PIPELINE_OUTPUT for m in re.findall(r"<S>(.*?)</S>", x)]


def pipeline_state(msgs):
    for t, _, x in reversed(msgs):
        if t == PIPELINE_STATE:
            m = re.search(r'<I32 N="PipelineState">(\d+)</I32>', x)
            return int(m.group(1)) if m else None
    return None


def pwsh_path():
    import os
    p = os.environ.get("WINRMD_TEST_PWSH") or "/opt/pwsh/pwsh"
    if not os.access(p, os.X_OK):
        raise h.Skip("no pwsh at %s (scripts/bootstrap installs it)" % p)
    return p
