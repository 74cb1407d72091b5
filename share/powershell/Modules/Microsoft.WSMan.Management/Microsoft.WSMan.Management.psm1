# Get-WSManInstance -Enumerate and New-WSManSessionOption, the two commands
# PowerShell's Get-PSSession -ComputerName runs ([PS]
# RemoteRunspacePoolEnumeration), over libpsrpclient: a WSMan session made
# with its WSManCreateSession and options, and its OpenWinRMEnumerate. The
# items come back as XmlElement objects, as Windows' cmdlet returns them:
# PowerShell reads their child elements as properties (ShellId, State...).

if (-not ('OpenWinRM.WSManNative' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;

namespace OpenWinRM {
    // What New-WSManSessionOption returns: a .NET object, as PowerShell
    // hands its BaseObject on to Get-WSManInstance -SessionOption.
    public class SessionOption {
        public bool SkipCACheck { get; set; }
        public bool SkipCNCheck { get; set; }
        public bool SkipRevocationCheck { get; set; }
        public int OperationTimeout { get; set; }
        public bool NoEncryption { get; set; }
        public bool UseUTF16 { get; set; }
        public int SPNPort { get; set; }
    }

    public static class WSManNative {
        const string Lib = "libpsrpclient";

        // WSMAN_AUTHENTICATION_CREDENTIALS: the mechanism, then user and
        // password (UTF-16), at 0, 8 and 16.
        [StructLayout(LayoutKind.Sequential)]
        public struct Credentials {
            public uint Mechanism;
            public IntPtr User;
            public IntPtr Password;
        }

        // WSMAN_DATA holding a DWORD: the type (4) at 0, the number at 8.
        [StructLayout(LayoutKind.Explicit, Size = 24)]
        public struct DwordData {
            [FieldOffset(0)] public uint Type;
            [FieldOffset(8)] public uint Number;
        }

        [DllImport(Lib)] public static extern uint WSManInitialize(uint flags, out IntPtr api);
        [DllImport(Lib)] public static extern uint WSManDeinitialize(IntPtr api, uint flags);
        [DllImport(Lib, CharSet = CharSet.Unicode)]
        public static extern uint WSManCreateSession(IntPtr api, string connection, uint flags,
            ref Credentials credentials, IntPtr proxy, out IntPtr session);
        [DllImport(Lib)] public static extern uint WSManCloseSession(IntPtr session, uint flags);
        [DllImport(Lib)] public static extern uint WSManSetSessionOption(IntPtr session, uint option,
            ref DwordData data);
        [DllImport(Lib, CharSet = CharSet.Unicode)]
        public static extern uint WSManGetErrorMessage(IntPtr api, uint flags, string language,
            uint code, uint length, [Out] char[] message, out uint used);
        [DllImport(Lib, CharSet = CharSet.Unicode)]
        public static extern uint OpenWinRMEnumerate(IntPtr session, string resourceUri,
            string filterName, string filterValue, out IntPtr items);
        [DllImport(Lib)] public static extern void OpenWinRMFree(IntPtr p);

        public static string ErrorMessage(IntPtr api, uint code) {
            uint used;
            char[] none = new char[1];
            if (WSManGetErrorMessage(api, 0, null, code, 0, none, out used) != 122 || used == 0)
                return "error " + code;
            char[] text = new char[used];
            if (WSManGetErrorMessage(api, 0, null, code, used, text, out used) != 0)
                return "error " + code;
            return new string(text, 0, (int)Math.Min(used, (uint)text.Length)).TrimEnd('\0');
        }
    }
}
'@
}

# WSManSessionOption ids (wsman.h) and AuthenticationMechanism values.
$script:SkipCACheck = 18
$script:SkipCNCheck = 19
$script:UnencryptedMessages = 20
$script:UseSsl = 33
$script:WSManPrefix = 'http://schemas.microsoft.com/wbem/wsman/1/'

function New-WSManSessionOption {
    [CmdletBinding()]
    param(
        [string] $ProxyAccessType,
        [string] $ProxyAuthentication,
        [pscredential] $ProxyCredential,
        [switch] $SkipCACheck,
        [switch] $SkipCNCheck,
        [switch] $SkipRevocationCheck,
        [int] $SPNPort,
        [int] $OperationTimeout,
        [switch] $NoEncryption,
        [switch] $UseUTF16
    )
    if ($ProxyAccessType -and $ProxyAccessType -ne 'ProxyNoProxyServer') {
        throw "libpsrpclient does not go through proxies ($ProxyAccessType)"
    }
    [OpenWinRM.SessionOption]@{
        SkipCACheck         = [bool]$SkipCACheck
        SkipCNCheck         = [bool]$SkipCNCheck
        SkipRevocationCheck = [bool]$SkipRevocationCheck
        OperationTimeout    = $OperationTimeout
        NoEncryption        = [bool]$NoEncryption
        UseUTF16            = [bool]$UseUTF16
        SPNPort             = $SPNPort
    }
}

# Windows' short resource URIs: "Shell" and "Shell/Command" are
# windows/shell and windows/shell/Command, "winrm/config..." wsman/1/config.
function Resolve-ResourceUri([string] $Uri) {
    if ($Uri -match '^[a-z]+://') { return $Uri }
    if ($Uri -match '^(?i)shell(/.*)?$') { return $script:WSManPrefix + 'windows/shell' + $Matches[1] }
    if ($Uri -match '^(?i)winrm/(.*)$') { return $script:WSManPrefix + $Matches[1] }
    return $script:WSManPrefix + $Uri
}

# The Selector dialect's filter, Name='value' (one selector: what
# PowerShell asks, ShellId='...').
function Split-SelectorFilter([string] $Filter) {
    if ($Filter -notmatch "^\s*(\w+)\s*=\s*'([^']*)'\s*$") {
        throw "Get-WSManInstance: the Selector filter must be Name='value', not: $Filter"
    }
    return $Matches[1], $Matches[2]
}

function Set-DwordOption([IntPtr] $Session, [uint32] $Option, [bool] $On) {
    $data = New-Object OpenWinRM.WSManNative+DwordData
    $data.Type = 4
    $data.Number = [uint32]$On
    [void][OpenWinRM.WSManNative]::WSManSetSessionOption($Session, $Option, [ref]$data)
}

function Get-WSManInstance {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [Alias('ruri')] [string] $ResourceURI,
        [switch] $Enumerate,
        [string] $Dialect,
        [string] $Filter,
        [Alias('cn')] [string] $ComputerName = 'localhost',
        [object] $Authentication = 0,
        [pscredential] $Credential,
        [string] $CertificateThumbprint,
        [int] $Port = 0,
        [switch] $UseSSL,
        [string] $ApplicationName = 'wsman',
        [Alias('so')] [object] $SessionOption,
        [Alias('cu')] [uri] $ConnectionURI
    )
    if (-not $Enumerate) {
        throw 'This Get-WSManInstance (openwinrm) enumerates only: use -Enumerate'
    }
    if ($CertificateThumbprint) {
        throw 'libpsrpclient does not authenticate with client certificates'
    }
    $filterName = [NullString]::Value; $filterValue = [NullString]::Value
    if ($Filter) {
        if ($Dialect -and $Dialect -notmatch '(?i)^(selector|http://schemas\.dmtf\.org/wbem/wsman/1/wsman/SelectorFilter)$') {
            throw "Get-WSManInstance (openwinrm) filters with the Selector dialect only, not $Dialect"
        }
        $filterName, $filterValue = Split-SelectorFilter $Filter
    }
    if ($ConnectionURI) {
        $connection = $ConnectionURI.AbsoluteUri
        $UseSSL = $ConnectionURI.Scheme -eq 'https'
    } else {
        if ($Port -eq 0) { $Port = if ($UseSSL) { 5986 } else { 5985 } }
        $scheme = if ($UseSSL) { 'https' } else { 'http' }
        $connection = '{0}://{1}:{2}/{3}' -f $scheme, $ComputerName, $Port, $ApplicationName.TrimStart('/')
    }
    # AuthenticationMechanism's Default (1) is WSMan's default (0); the
    # other values are WSMan's flags.
    $mechanism = [uint32]([int]$Authentication)
    if ($mechanism -eq 1) { $mechanism = 0 }

    $api = [IntPtr]::Zero; $session = [IntPtr]::Zero
    $creds = New-Object OpenWinRM.WSManNative+Credentials
    $creds.Mechanism = $mechanism
    try {
        if ($Credential) {
            $creds.User = [Runtime.InteropServices.Marshal]::StringToHGlobalUni($Credential.UserName)
            $creds.Password = [Runtime.InteropServices.Marshal]::StringToHGlobalUni(
                $Credential.GetNetworkCredential().Password)
        }
        $code = [OpenWinRM.WSManNative]::WSManInitialize(1, [ref]$api)
        if ($code -eq 0) {
            $code = [OpenWinRM.WSManNative]::WSManCreateSession($api, $connection, 0, [ref]$creds,
                [IntPtr]::Zero, [ref]$session)
        }
        if ($code -ne 0) { throw "Get-WSManInstance: no session to ${connection}: error $code" }
        if ($SessionOption) {
            Set-DwordOption $session $script:SkipCACheck ([bool]$SessionOption.SkipCACheck)
            Set-DwordOption $session $script:SkipCNCheck ([bool]$SessionOption.SkipCNCheck)
            Set-DwordOption $session $script:UnencryptedMessages ([bool]$SessionOption.NoEncryption)
        }
        Set-DwordOption $session $script:UseSsl ([bool]$UseSSL)
        $items = [IntPtr]::Zero
        $code = [OpenWinRM.WSManNative]::OpenWinRMEnumerate($session, (Resolve-ResourceUri $ResourceURI),
            $filterName, $filterValue, [ref]$items)
        if ($code -ne 0) {
            $message = [OpenWinRM.WSManNative]::ErrorMessage($api, $code)
            $e = [InvalidOperationException]::new("Get-WSManInstance: $message")
            $PSCmdlet.ThrowTerminatingError([Management.Automation.ErrorRecord]::new(
                $e, 'WsManError', 'InvalidOperation', $ResourceURI))
        }
        try {
            $doc = [xml][Runtime.InteropServices.Marshal]::PtrToStringUni($items)
        } finally {
            [OpenWinRM.WSManNative]::OpenWinRMFree($items)
        }
        foreach ($node in $doc.DocumentElement.ChildNodes) {
            if ($node.NodeType -eq 'Element') { $node }
        }
    } finally {
        if ($creds.User -ne [IntPtr]::Zero) { [Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($creds.User) }
        if ($creds.Password -ne [IntPtr]::Zero) { [Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($creds.Password) }
        if ($session -ne [IntPtr]::Zero) { [void][OpenWinRM.WSManNative]::WSManCloseSession($session, 0) }
        if ($api -ne [IntPtr]::Zero) { [void][OpenWinRM.WSManNative]::WSManDeinitialize($api, 0) }
    }
}

Export-ModuleMember -Function Get-WSManInstance, New-WSManSessionOption
