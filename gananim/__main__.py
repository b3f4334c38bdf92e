"""python -m gananim"""
from .cli import main

main()
