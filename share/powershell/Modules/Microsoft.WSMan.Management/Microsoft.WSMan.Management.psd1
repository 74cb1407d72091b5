# The WS-Management cmdlets PowerShell itself calls, for pwsh on Linux and
# macOS, where Microsoft ships no Microsoft.WSMan.Management module: Get-PSSession
# -ComputerName runs Get-WSManInstance -Enumerate of Shell and Shell/Command
# (RemoteRunspacePoolEnumeration) with a New-WSManSessionOption. Part of
# openwinrm; it speaks through libpsrpclient (docs/psrpclient.md).
@{
    RootModule = 'Microsoft.WSMan.Management.psm1'
    ModuleVersion = '0.1.0'
    GUID = '3b0e7a56-3c1f-4f0e-9d0c-6b3e1f1a2c55'
    Author = 'openwinrm'
    Description = 'Get-WSManInstance -Enumerate and New-WSManSessionOption over libpsrpclient (openwinrm), for Get-PSSession -ComputerName on Linux.'
    PowerShellVersion = '7.4'
    CompatiblePSEditions = @('Core')
    FunctionsToExport = @('Get-WSManInstance', 'New-WSManSessionOption')
    CmdletsToExport = @()
    VariablesToExport = @()
    AliasesToExport = @()
}
