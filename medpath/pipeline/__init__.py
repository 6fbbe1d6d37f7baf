"""The reading pipeline: file bytes -> the canonical screening, visits, adverse-event and disposition tables, with
a finding (``medpath.findings``) for every problem. One stage per package, in the order a file goes through them:

1. ``guard``    -- the cost of a file bounded from its bytes, read in a disposable worker process (a refusal is
   one error finding);
2. ``read``     -- bytes -> raw tables (``RawTable``): cells, Excel row numbers, hidden and struck-through marks;
3. ``layout``   -- the shapes study teams keep (title blocks, wide sheets, REDCap, one sheet per visit, adverse-
   event and disposition sheets set aside) -> one raw table per table kind;
4. ``map``      -- the protocol and the mapping profile compiled once into a ``Schema``; headers -> fields (the
   sheet's role, the names, the columns required), and the mapping step's guess;
5. ``cells``    -- each cell read as its field's value (numbers, units, yes/no, sex, visit labels), or a finding;
6. ``validate`` -- canonical rows per table, and the questions about which rows count (``row_questions``).

``medpath.study.load_study`` runs the stages and assembles the ``Study``; the schema is passed to every stage as
an argument (no context variable). No stage imports Streamlit, and no two modules import each other in a circle
(``tests/test_import_graph.py``)."""
