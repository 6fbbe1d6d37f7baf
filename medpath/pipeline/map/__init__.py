"""Stage 4 of the reading pipeline: the protocol and the mapping profile compiled into one ``Schema``
(``schema``, ``profile``, ``extra_fields``), header names -> fields (``columns``, ``headers``), and the mapping
step's guess for a file MedPath does not read by itself (``mapping``)."""
