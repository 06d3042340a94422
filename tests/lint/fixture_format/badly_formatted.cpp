// A file lint_format must reject (lint_catches_unformatted_code): the check has to name it.
int badly_formatted( int x ){return x+1;}
