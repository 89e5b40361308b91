"""CSV ingestion: uploads are job rows; a worker streams the file in chunks into the books.

``services`` owns the job's status machine; ``loaders`` write one parsed chunk (COPY into a staging
table and set-based SQL); ``data.parsing`` reads the file.
"""
