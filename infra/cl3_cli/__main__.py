from cl3_cli.main import main

raise SystemExit(main())
