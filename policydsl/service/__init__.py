"""The HTTP service (`policydsl serve`): the application (`app`), what it serves and its reload
(`state`), the decision log (`log`), the OpenAPI document (`openapi`), the analysts' web page
(`web/`), and the commands that start it and export its log (`commands`)."""
