// Loaded by ./shell: the chanemb library, Tablesaw and DuckDB-backed readers of step outputs.
import java.nio.file.*;
import java.util.*;
import chanemb.*;
import chanemb.embed.*;
import chanemb.report.*;
import chanemb.lengths.*;
import tech.tablesaw.api.*;
Cli.prepareProcess(false, false);
Messages.useLanguage(System.getenv("CHANEMB_LANG"));
System.out.println("chanemb: try Outputs.table(Path.of(\"data/windows\")).summary() or Outputs.sql(\"SELECT ...\")");
