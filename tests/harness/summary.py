"""Count test results (pytest JUnit files and pass/fail gates) and print "N passed, N failed"."""

import pathlib
import sys
import xml.etree.ElementTree as ET


def main(folder):
    passed = failed = 0
    for report in sorted(pathlib.Path(folder).glob('*.xml')):
        for case in ET.parse(report).iter('testcase'):
            if case.find('failure') is not None or case.find('error') is not None:
                failed += 1
                print(f'FAILED {report.stem}: {case.get("classname")}.{case.get("name")}')
            elif case.find('skipped') is None:
                passed += 1
    for gate in sorted(pathlib.Path(folder).glob('*.gate')):
        if gate.read_text().strip() == 'pass':
            passed += 1
        else:
            failed += 1
            print(f'FAILED {gate.stem}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
