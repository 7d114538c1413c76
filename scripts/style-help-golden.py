#!/usr/bin/env python3
"""Regenerates Tests/NSTCLITests/TransferHelpTests.swift from the built binary's --help
(COLUMNS=100), after a deliberate change to the help of `nst transfer` or
`nst experiment style-depth`. Usage: scripts/style-help-golden.py .build/debug/nst"""
import subprocess, sys
binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/nst"
cases = [("transfer", ["transfer", "--help"]), ("styleDepth", ["experiment", "style-depth", "--help"])]
out = ['import Testing', '',
       '/// The help texts, exactly (COLUMNS=100). After a deliberate change, regenerate with',
       '/// `scripts/style-help-golden.py .build/debug/nst`.',
       '@Suite struct TransferHelpTests {']
for name, args in cases:
    text = subprocess.run([binary] + args, capture_output=True, text=True, env={"COLUMNS": "100"}).stdout
    assert '"""' not in text
    body = text
    out.append(f'    static let {name} = #"""')
    assert body.endswith("\n\n") and not body.endswith("\n\n\n")
    out.append(body[:-2].replace('"""#', '""" #'))
    out.append('"""#')
    out.append('')
    out.append(f'    @Test func {name}HelpIsExactly() throws {{')
    out.append(f'        let r = try NSTBinary.run({args!r}, environment: ["COLUMNS": "100"])'.replace("'", '"'))
    out.append('        #expect(r.status == 0)')
    out.append(f'        #expect(r.stdout == Self.{name} + "\\n\\n")')
    out.append('    }')
    out.append('')
out.append('}')
open("Tests/NSTCLITests/TransferHelpTests.swift", "w").write("\n".join(out) + "\n")
print("wrote Tests/NSTCLITests/TransferHelpTests.swift")
