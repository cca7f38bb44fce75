"""``python -m linkkit.web <notebooks> [voila options]``: Voila with linkkit's authorize and callback routes."""

from linkkit.web.app import main

if __name__ == "__main__":
    main()
