/* psrp_fixture: the PSRP message texts of tests/e2e/psrp.py (the smallest
 * PowerShell accepts: protocol 2.3's SESSION_CAPABILITY, an
 * INIT_RUNSPACEPOOL of one runspace without a host, a CREATE_PIPELINE of
 * one script), generated from it for the C tests. The script goes
 * between PSRP_PIPELINE_XML_HEAD and PSRP_PIPELINE_XML_TAIL, XML-escaped. */
#ifndef OPENWINRM_TEST_PSRP_FIXTURE_H
#define OPENWINRM_TEST_PSRP_FIXTURE_H

#define PSRP_CAPABILITY_XML                                                                        \
	"<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.3</Version><Version "               \
	"N=\"PSVersion\">2.0</Version><Version "                                                   \
	"N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>"
#define PSRP_INIT_RUNSPACEPOOL_XML                                                                 \
	"<Obj RefId=\"0\"><MS><I32 N=\"MinRunspaces\">1</I32><I32 N=\"MaxRunspaces\">1</I32><Obj " \
	"N=\"PSThreadOptions\" RefId=\"1\"><TN "                                                   \
	"RefId=\"0\"><T>System.Management.Automation.Runspaces.PSThreadOptions</"                  \
	"T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Default</"  \
	"ToString><I32>0</I32></Obj><Obj N=\"ApartmentState\" RefId=\"2\"><TN "                    \
	"RefId=\"1\"><T>System.Management.Automation.Runspaces.ApartmentState</T><T>System.Enum</" \
	"T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UNKNOWN</ToString><I32>2</"   \
	"I32></Obj><Obj N=\"HostInfo\" RefId=\"3\"><MS><B N=\"_isHostNull\">true</B><B "           \
	"N=\"_isHostUINull\">true</B><B N=\"_isHostRawUINull\">true</B><B "                        \
	"N=\"_useRunspaceHost\">true</B></MS></Obj><Nil N=\"ApplicationArguments\" /></MS></Obj>"
#define PSRP_PIPELINE_XML_HEAD                                                                     \
	"<Obj RefId=\"0\"><MS><B N=\"NoInput\">true</B><Obj N=\"ApartmentState\" RefId=\"1\"><TN " \
	"RefId=\"0\"><T>System.Management.Automation.Runspaces.ApartmentState</T><T>System.Enum</" \
	"T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UNKNOWN</ToString><I32>2</"   \
	"I32></Obj><Obj N=\"RemoteStreamOptions\" RefId=\"2\"><TN "                                \
	"RefId=\"1\"><T>System.Management.Automation.Runspaces.RemoteStreamOptions</"              \
	"T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>None</"     \
	"ToString><I32>0</I32></Obj><B N=\"AddToHistory\">false</B><Obj N=\"HostInfo\" "           \
	"RefId=\"3\"><MS><B N=\"_isHostNull\">true</B><B N=\"_isHostUINull\">true</B><B "          \
	"N=\"_isHostRawUINull\">true</B><B N=\"_useRunspaceHost\">true</B></MS></Obj><Obj "        \
	"N=\"PowerShell\" RefId=\"4\"><MS><B N=\"IsNested\">false</B><Nil N=\"ExtraCmds\" /><Obj " \
	"N=\"Cmds\" RefId=\"5\"><TN "                                                              \
	"RefId=\"2\"><T>System.Collections.Generic.List`1[[System.Management.Automation.PSObject," \
	" System.Management.Automation]]</T><T>System.Object</T></TN><LST><Obj "                   \
	"RefId=\"6\"><MS><S N=\"Cmd\">"
#define PSRP_PIPELINE_XML_TAIL                                                                     \
	"</S><B N=\"IsScript\">true</B><Nil N=\"UseLocalScope\" /><Obj N=\"MergeMyResult\" "       \
	"RefId=\"7\"><TN "                                                                         \
	"RefId=\"3\"><T>System.Management.Automation.Runspaces.PipelineResultTypes</"              \
	"T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>None</"     \
	"ToString><I32>0</I32></Obj><Obj N=\"MergeToResult\" RefId=\"8\"><TNRef RefId=\"3\" "      \
	"/><ToString>None</ToString><I32>0</I32></Obj><Obj N=\"MergePreviousResults\" "            \
	"RefId=\"9\"><TNRef RefId=\"3\" /><ToString>None</ToString><I32>0</I32></Obj><Obj "        \
	"N=\"Args\" RefId=\"10\"><TNRef RefId=\"2\" /><LST /></Obj><Obj N=\"MergeError\" "         \
	"RefId=\"11\"><TNRef RefId=\"3\" /><ToString>None</ToString><I32>0</I32></Obj><Obj "       \
	"N=\"MergeWarning\" RefId=\"12\"><TNRef RefId=\"3\" "                                      \
	"/><ToString>None</ToString><I32>0</I32></Obj><Obj N=\"MergeVerbose\" "                    \
	"RefId=\"13\"><TNRef RefId=\"3\" /><ToString>None</ToString><I32>0</I32></Obj><Obj "       \
	"N=\"MergeDebug\" RefId=\"14\"><TNRef RefId=\"3\" "                                        \
	"/><ToString>None</ToString><I32>0</I32></Obj><Obj N=\"MergeInformation\" "                \
	"RefId=\"15\"><TNRef RefId=\"3\" "                                                         \
	"/><ToString>None</ToString><I32>0</I32></Obj></MS></Obj></LST></Obj><Nil N=\"History\" "  \
	"/><B N=\"RedirectShellErrorOutputPipe\">false</B></MS></Obj><B "                          \
	"N=\"IsNested\">false</B></MS></Obj>"

#endif
